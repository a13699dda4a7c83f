// One cgroup per run, on whatever layout the host has: pure v2, hybrid (limits in v1
// hierarchies, the v2 tree for CLONE_INTO_CGROUP and cgroup.kill) or pure v1.
// Creation, limits, membership, whole-tree kill, read-back of peaks and limit events, removal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"

namespace kavach::common {

struct CgroupLimits {
  std::optional<std::uint64_t> memory_bytes;
  std::optional<std::uint64_t> swap_bytes;  // beyond memory (v1: memsw = memory + swap)
  std::optional<double> cpu_cores;
  std::optional<std::uint64_t> pids;
  friend bool operator==(const CgroupLimits&, const CgroupLimits&) = default;
};

struct CgroupSetup {
  std::string name;          // unique per run (a directory name)
  CgroupLimits limits;       // only the controllers the caller wants enforced
  bool want_v2_dir = false;  // a v2 directory even without v2 limits (CLONE_INTO_CGROUP, kill)
  // Tree-wide CPU-time accounting (for a CPU-time limit): v2 cpu.stat usage_usec (present in
  // every v2 cgroup, controller or not), else a v1 cpuacct directory. Failure: "cpuacct".
  bool cpu_accounting = false;
};

struct CgroupReadback {
  std::uint64_t oom_kills = 0;        // memory.events / memory.oom_control "oom_kill"
  std::uint64_t pids_max_events = 0;  // pids.events "max": forks refused by the limit
  std::optional<std::uint64_t> memory_peak_bytes;
  std::optional<std::uint64_t> pids_peak;
};

class RunCgroup {
 public:
  // Creates the directories and writes the limits. A controller that cannot be set up is listed
  // in failures() (controller -> reason) instead of failing the whole call, so the caller
  // decides per control: fail closed, or degrade when the policy allows it.
  [[nodiscard]] static RunCgroup create(const CgroupInfo& host, const CgroupSetup& setup);

  RunCgroup() = default;
  RunCgroup(RunCgroup&&) noexcept = default;
  RunCgroup& operator=(RunCgroup&& o) noexcept;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup();

  // Whether any run directory (v2 or v1) exists.
  [[nodiscard]] bool has_dirs() const { return !v2_dir_.empty() || !v1_dirs_.empty(); }
  // O_DIRECTORY fd of the run's v2 directory (for CLONE_INTO_CGROUP), or -1.
  [[nodiscard]] int v2_fd() const { return v2_fd_.get(); }
  [[nodiscard]] const std::map<std::string, std::string>& failures() const { return failures_; }
  // Human-readable placement of a controller's limit ("v1 /sys/fs/cgroup/memory/...").
  [[nodiscard]] std::string where(const std::string& controller) const;
  [[nodiscard]] bool enforced(const std::string& controller) const {
    return dirs_by_controller_.count(controller) != 0;
  }

  // Moves `pid` into every v1 directory (unless include_v1 is false: it joined them itself via
  // v1_join_files), and into the v2 one unless it was cloned there.
  [[nodiscard]] Result<void> add_pid(pid_t pid, bool include_v2, bool include_v1 = true) const;
  // Write-only descriptors of each v1 directory's `tasks` file, opened with the caller's
  // credentials: a single-threaded child writes "0" to each to move itself in. A thread moving
  // itself skips the global threadgroup lock (and its RCU grace period, milliseconds on a busy
  // host) that a cgroup.procs write by another process waits for.
  [[nodiscard]] Result<std::vector<UniqueFd>> v1_join_files() const;
  // SIGKILL for everything in the run's cgroups (cgroup.kill where available). Idempotent.
  void kill_all(bool use_cgroup_kill) const noexcept;
  [[nodiscard]] CgroupReadback read_back() const;
  // Total CPU time (user + system, microseconds) of everything in the run's cgroup, or nullopt
  // when no accounting was set up or the file cannot be read. Cheap: one small file read.
  [[nodiscard]] std::optional<std::uint64_t> cpu_usage_usec() const;
  // Where the CPU accounting is read from ("v2 .../cpu.stat usage_usec"), or "".
  [[nodiscard]] const std::string& cpu_accounting_where() const { return cpu_file_; }
  // Waits briefly for the cgroups to empty, then removes them. Idempotent.
  void destroy() noexcept;

 private:
  std::string v2_dir_;                                  // empty when none
  std::vector<std::string> v1_dirs_;                    // one per v1 hierarchy used
  std::map<std::string, std::string> dirs_by_controller_;  // controller -> directory
  std::map<std::string, std::string> version_by_controller_;
  std::map<std::string, std::string> failures_;
  std::string cpu_file_;     // cpu.stat (v2, key usage_usec) or cpuacct.usage (v1, ns); "" = none
  bool cpu_file_v2_ = false;
  UniqueFd v2_fd_;
};

// Removes empty run cgroups ("kavach/run-<pid>-<n>") whose creating process is gone, e.g. a
// launcher that was killed before it could clean up. Best effort; never touches live runs.
void remove_stale_run_cgroups(const CgroupInfo& host);

// Writes one controller's limit ("memory", "cpu", "pids") into an existing cgroup directory.
// Returns "" or the error text (a requested swap limit without a swap file is an error).
[[nodiscard]] std::string write_cgroup_limit(const std::string& controller, bool v2, const std::string& dir,
                                             const CgroupLimits& limits);

// Small file helpers shared with tests: read a whole cgroup file / one "key value" field.
[[nodiscard]] std::optional<std::string> read_cgroup_file(const std::string& path);
[[nodiscard]] std::optional<std::uint64_t> read_keyed_value(const std::string& path,
                                                            const std::string& key);

}  // namespace kavach::common
