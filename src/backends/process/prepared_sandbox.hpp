// A sandbox built up to (cold start) or through (warm start) its policy-dependent set-up: the
// child is cloned into its namespaces and cgroups, its id maps are written, and it was released.
// Cold: the command is already in its plan and it runs to execve. Warm: PID 1 finished every
// step up to Landlock and sleeps until run() hands it a command through the CommandArea.
// Each PreparedSandbox is used for ONE command, then torn down; never reused.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/common/cgroup.hpp"
#include "backends/common/disk_quota.hpp"
#include "backends/common/unique_fd.hpp"
#include "backends/process/child_plan.hpp"
#include "backends/process/control_plan.hpp"
#include "backends/process/mount_plan.hpp"
#include "kavach/result.hpp"
#include "network/egress_proxy.hpp"

namespace kavach::process {

// A MAP_SHARED anonymous mapping of `T` (the child inherits it at the same address).
template <typename T>
class SharedMapping {
 public:
  SharedMapping();
  ~SharedMapping();
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  [[nodiscard]] T* get() const { return ptr_; }

 private:
  T* ptr_ = nullptr;
};

struct PreparedSandbox {
  bool warm = false;
  std::uint64_t start_ns = 0;    // exec() entry (cold) or preparation start (warm)
  std::uint64_t release_ns = 0;  // when the child was released ('G' or 'W')
  std::vector<StageTiming> timings;  // parent stages up to the release
  std::chrono::steady_clock::time_point deadline{};  // cold: wall timeout from the release

  ControlPlan cp;                    // its report is the run's enforcement report
  std::vector<std::string> op_text;  // mount op descriptions, for setup errors
  std::vector<std::string> idmap_notes;
  std::size_t writable_entries = 0;
  std::size_t protected_masks = 0;
  // The host state the protected binds were built from (MountPlan::protected_roots/_key): a warm
  // start re-checks it at the hand-over.
  std::vector<std::filesystem::path> protected_roots;
  std::string protected_key;
  int landlock_abi = 0;
  // The guard in front of the command (protected paths): what a warm start's command is wrapped
  // with at the hand-over. Empty writable roots: no guard.
  std::vector<std::string> guard_roots;
  int guard_status_fd = -1;

  common::RunCgroup cgroup;
  bool use_cgroup_kill = false;
  // Project quota on the writable paths (control `disk`): from before the command can write
  // (cold: before the release; warm: at the hand-over) to the end of the run.
  std::unique_ptr<common::DiskQuota> disk_quota;
  SharedMapping<ChildShared> shared;
  std::unique_ptr<SharedMapping<CommandArea>> command_area;  // warm only

  common::UniqueFd pidfd;  // PID 1 of the sandbox; killed and reaped unless `reaped`
  pid_t pid = -1;
  bool reaped = false;
  bool used_clone3 = false;
  bool into_cgroup = false;
  common::UniqueFd status_r;   // EOF = execve done; a record = failure (or warm: ready)
  common::UniqueFd release_w;  // 'R' for a warm start; closing it discards the sandbox
  common::UniqueFd stdout_r;
  common::UniqueFd stderr_r;
  common::UniqueFd stdin_w;    // cold: only with stdin data or a stream; warm: always (closed when unused)
  common::UniqueFd terminal_r; // terminal runs: PID 1 sends the PTY master here
  common::UniqueFd egress_r;   // allowlist: PID 1 sends the egress proxy's listener here
  std::shared_ptr<network::EgressOptions> egress_options;  // credential placeholders, set by exec
  common::UniqueFd mnt_ns;     // warm: holds the mount namespace so its teardown comes later

  PreparedSandbox() = default;
  PreparedSandbox(const PreparedSandbox&) = delete;
  PreparedSandbox& operator=(const PreparedSandbox&) = delete;
  ~PreparedSandbox();  // an unused sandbox is killed, reaped and its cgroup removed
};

// The sandbox's mount steps on its result, or in a set-up error's context ("mount_plan", one
// step a line): what `kavach run -v` shows.
[[nodiscard]] Result<ExecResult> with_mount_plan(Result<ExecResult> result, const PreparedSandbox& sb);

}  // namespace kavach::process
