// ExecResult: a faithful account of one sandboxed run.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kavach/enforcement.hpp"

namespace kavach {

struct SetupFailure {
  std::string stage;  // "clone", "uid_map", "mounts", "landlock", "seccomp", "exec", ...
  int error_number = 0;
  std::string message;
};

struct ResourceUsage {
  double user_cpu_ms = 0;
  double sys_cpu_ms = 0;
  std::uint64_t max_rss_kb = 0;
  std::optional<std::uint64_t> memory_peak_bytes;  // from the run's cgroup
  std::optional<std::uint64_t> pids_peak;
};

struct StageTiming {
  std::string stage;
  double ms = 0;
};

struct ExecResult {
  std::optional<int> exit_code;  // set when the command exited normally
  std::optional<int> signal;     // set when it was killed by a signal
  bool timed_out = false;        // wall-clock timeout killed the tree
  bool oom_killed = false;       // memory limit hit (from memory.events / oom_control)
  bool pids_limit_hit = false;   // pids limit refused a fork (pids.events)
  bool cpu_limit_hit = false;    // RLIMIT_CPU (SIGXCPU/SIGKILL)
  bool stopped_by_consumer = false;  // the output sink asked to stop (e.g. the gate blocked)
  std::optional<SetupFailure> setup_failure;

  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  double duration_ms = 0;
  ResourceUsage usage;
  std::vector<StageTiming> timings;
  // The backend's filesystem set-up, one line per mount step in order (process backend; empty
  // where a backend does not report it). `kavach run -v` prints it.
  std::vector<std::string> mount_plan;
  EnforcementReport enforcement;
  std::map<std::string, std::string> backend_info;  // e.g. {"runtime","runsc"},{"version","..."}

  // Exit status the CLI returns: exit code, 128+signal, or 124-style codes documented in CLI.
  [[nodiscard]] int shell_status() const;
};

}  // namespace kavach
