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

// One connection the sandbox asked kavach's egress proxy for (network mode allowlist). Names,
// ports and counts only: never a byte of what was sent.
struct EgressConnection {
  std::string host;    // as the client named it (CONNECT target or the URL's host)
  std::uint16_t port = 0;
  std::string method;  // CONNECT, GET, POST, ...
  bool allowed = false;
  std::string rule;    // the network.allow entry that allowed it
  std::string reason;  // why it was refused or failed ("" when it ran)
  std::string sni;     // TLS server name the client sent through a CONNECT tunnel
  std::string credential;  // names of the secrets swapped into this request (placeholders)
  std::uint64_t bytes_up = 0;    // sandbox -> destination
  std::uint64_t bytes_down = 0;  // destination -> sandbox
  double duration_ms = 0;
};

struct EgressSummary {
  bool active = false;  // the run had an egress proxy
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  std::vector<EgressConnection> connections;  // in the order they ended (first 1000 kept)
  std::uint64_t dropped_records = 0;          // connections past the first 1000 (still counted)
};

// Why a run ended, one value (like sandbox2's Result::final_status), derived from ExecResult's
// fields in this order of precedence: a command that never started; a limit kavach enforced
// (timeout, memory, CPU time, processes); the consumer stopping the output; a signal; the exit.
enum class FinalStatus {
  exited_ok,            // exit code 0
  exited_nonzero,       // any other exit code
  signaled,             // ended by a signal kavach did not send for a limit
  timed_out,            // the wall-clock timeout killed the tree
  memory_limit,         // the memory cgroup's OOM killer
  cpu_limit,            // CPU time (tree watch or RLIMIT_CPU)
  pids_limit,           // the pids limit refused a fork (the run may still have exited)
  stopped_by_consumer,  // the output sink stopped it (e.g. the gate blocked live output)
  setup_failed,         // the command never started (setup_failure says where)
};
[[nodiscard]] std::string_view to_string(FinalStatus s);

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
  EgressSummary egress;  // network mode allowlist: what the sandbox reached through the proxy
  std::map<std::string, std::string> backend_info;  // e.g. {"runtime","runsc"},{"version","..."}

  // The one reason the run ended (FinalStatus), and that reason in words with its details
  // ("timed out after the wall-clock limit", "exited with 3", "setup failed at mounts: ...").
  [[nodiscard]] FinalStatus final_status() const;
  [[nodiscard]] std::string final_reason() const;
};

}  // namespace kavach
