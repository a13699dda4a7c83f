// Fixes for the common ways a sandboxed command fails for reasons outside the command: a host
// file the sandbox does not see (the cwd is not mounted), a program or its interpreter missing
// (after fs.readonly_paths replaced the system directories).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kavach/backend.hpp"
#include "kavach/policy.hpp"
#include "kavach/sandbox.hpp"

namespace kavach::cli {

// Whether the sandbox sees `host_path` at the same path: inside a readonly or writable path
// (given or resolved). The sandbox's own /tmp, /dev and /proc are not the host's.
[[nodiscard]] bool visible_in_sandbox(const SandboxPolicy& p, const std::filesystem::path& host_path);

// The search path the sandbox resolves argv[0] with: the command's PATH, else the host's when
// env_allow passes it, else the backend's default.
[[nodiscard]] std::string sandbox_search_path(const SandboxPolicy& p, const Command& cmd);

// For a command that could not be executed (setup failure at stage exec, errno `error_number`):
// what is missing and how to mount it. Empty when nothing specific is known.
[[nodiscard]] std::string exec_failure_hint(const SandboxPolicy& p, const Command& cmd, int error_number,
                                            const std::filesystem::path& host_cwd);

// For a command that failed: its arguments that name existing host files the sandbox does not
// see where the command looks (not mounted, or a relative name against another working
// directory), one hint per directory. Empty when the policy brings its own root (oci rootfs/image).
[[nodiscard]] std::vector<std::string> hidden_path_hints(const SandboxPolicy& p, const std::vector<std::string>& argv,
                                                         const std::filesystem::path& host_cwd);

// All of the above for one finished run: the exec failure's fix (or where to look), and for a
// command that failed, the host files it names that the sandbox does not see.
[[nodiscard]] std::vector<std::string> run_failure_hints(const RunReport& rep, const SandboxPolicy& policy,
                                                         const Command& cmd);

// A set-up error from the backend, with where to look next (an unreachable working directory:
// why; anything else: -v).
[[nodiscard]] Error with_setup_hint(Error e, const SandboxPolicy& policy);

}  // namespace kavach::cli
