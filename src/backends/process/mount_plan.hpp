// Parent side of the filesystem view: turns the policy into an ordered list of mount ops the
// child runs verbatim (see mount_exec.hpp). All path decisions, checks and string building
// happen here, where allocation and errors with context are allowed.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backends/common/unique_fd.hpp"
#include "backends/process/child_plan.hpp"
#include "core/filesystem_view.hpp"
#include "kavach/backend.hpp"
#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach::process {

// Where a path-based Landlock rule for a sandbox-only path should grant access.
enum class ChildPathRights { read_dir_only, read, tmp, dev, pts, file_read, file_exec, device_file };

struct MountPlanInput {
  const FilesystemPolicy* fs = nullptr;  // the host paths to show
  FilesystemView view;                   // everything else (core/filesystem_view.hpp)
  const std::vector<InjectedFile>* files = nullptr;
  bool mount_proc = true;  // only with a pid namespace: a fresh procfs would show host pids else
  // When set, writable paths are mounted from a detached (idmapped) tree this returns, instead
  // of a plain bind: how a sandbox uid that is not the owner still writes there.
  std::function<Result<common::UniqueFd>(const std::filesystem::path& host_path)> writable_tree;
  // Host path of kavach-guard, bound at common::kGuardPathInSandbox; empty: no guard.
  std::filesystem::path guard_binary;
};

struct MountPlan {
  std::vector<MountOp> ops;
  std::vector<std::string> op_text;  // one line per op, for error messages
  std::vector<common::UniqueFd> fds;  // detached trees the child moves into place
  std::vector<std::string> writable_targets;  // writable paths as the sandbox sees them
  std::vector<PathRule> landlock_host_rules;  // host paths the ruleset is built from
  std::vector<std::pair<std::string, ChildPathRights>> landlock_child_rules;
  std::string workdir = "/";
  std::size_t readonly_entries = 0;
  std::size_t writable_entries = 0;
  std::size_t protected_masks = 0;
  // What the protected-path binds were computed from (host state: which protected paths exist):
  // the writable roots and the binds, so a warm start can check at the hand-over that the host
  // still looks the same (protected_binds_key).
  std::vector<std::filesystem::path> protected_roots;
  std::string protected_key;

  MountPlan() = default;
  MountPlan(MountPlan&&) = default;
  MountPlan& operator=(MountPlan&&) = default;
  MountPlan(const MountPlan&) = delete;
  MountPlan& operator=(const MountPlan&) = delete;

  // Stable storage for the C strings the ops point to.
  const char* keep(std::string s);

 private:
  std::deque<std::string> strings_;
};

[[nodiscard]] Result<MountPlan> build_mount_plan(const MountPlanInput& in);

// The protected-path binds for these roots as one comparable string ("ro:" / "pin:" + path per
// bind); an error's message when they cannot be computed.
[[nodiscard]] std::string protected_binds_key(const std::vector<std::filesystem::path>& protected_paths,
                                              const std::vector<std::filesystem::path>& roots);

// Landlock access masks (LANDLOCK_ACCESS_FS_*) for a child-side rule at the given ABI.
[[nodiscard]] std::uint64_t child_rule_access(ChildPathRights rights, int abi);

}  // namespace kavach::process
