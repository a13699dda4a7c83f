// Injected files (Command::files) for the OCI runtimes: written into the run's bundle, which is
// on a memory filesystem whenever a run has any (state_dirs), and bound read-only where the
// sandbox expects them (mount_plan). Nothing reaches host disk; the bundle goes with the run.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <utility>
#include <vector>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"

namespace kavach::oci {

// Each file in `dir` (made 0711), owned by the container user's host ids with the file's mode.
// Returns (path in the sandbox, host file) pairs for MountPlanInput::injected_files.
[[nodiscard]] Result<std::vector<std::pair<std::filesystem::path, std::filesystem::path>>> write_injected_files(
    const std::filesystem::path& dir, const std::vector<InjectedFile>& files, uid_t uid, gid_t gid);

}  // namespace kavach::oci
