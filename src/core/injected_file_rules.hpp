// Where an injected file (Command::files) may go, the same on every backend: an absolute,
// normalized file path, given once, on a filesystem the sandbox owns (never a kernel filesystem
// and never a host path the policy mounts — the backend says which of its mounts those are).
#pragma once

#include <filesystem>
#include <set>

#include "kavach/error.hpp"

namespace kavach {

// The checks that do not depend on a backend's mounts; `seen` collects paths to refuse repeats.
[[nodiscard]] Result<void> check_injected_file_path(const std::filesystem::path& path,
                                                    std::set<std::filesystem::path>& seen);

// The error for a file that would land on a host bind mount, in one wording.
[[nodiscard]] Error injected_file_on_host_mount(const std::filesystem::path& path);

}  // namespace kavach
