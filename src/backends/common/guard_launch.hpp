// Starting the protected-path guard (src/guard) in front of a command: the process backend and
// the OCI backends mount the same binary at the same place in the sandbox and hand it the same
// arguments, built here from the policy and the core's trap program.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach::common {

// Where the guard binary appears inside a sandbox (a read-only bind in the sandbox's own /dev
// tmpfs, so no mount point is ever created in a host directory or an image).
inline constexpr const char* kGuardPathInSandbox = "/dev/.kavach-guard";

// The guard binary on the host: $KAVACH_GUARD, then the install location, then this build tree.
[[nodiscard]] Result<std::filesystem::path> find_guard_binary();

struct GuardCommand {
  std::vector<std::string> argv;  // argv[0] = "kavach-guard", then its arguments and the command
  std::string detail;             // for the enforcement report
};

struct GuardCommandInput {
  const SandboxPolicy* policy = nullptr;
  std::vector<std::string> writable_roots;  // as the sandbox sees them
  int status_fd = -1;                       // process backend: where setup failures go
  int status_stage_guard = 0;
  int status_stage_exec = 0;
  std::vector<std::string> exec_paths;  // candidates for the command's argv[0]; empty: $PATH
  std::vector<std::string> command;     // the command's argv
};

[[nodiscard]] Result<GuardCommand> guard_command(const GuardCommandInput& in);

// The protected-paths control's detail for a backend's enforcement report, in one wording:
// why the guard runs, or what it lacks (`blocker`: a backend's own reason, empty if none).
[[nodiscard]] std::string guard_detail(bool seccomp_notify, const std::string& kernel_release,
                                       const std::string& blocker);

}  // namespace kavach::common
