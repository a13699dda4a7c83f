// Driving one container through its runtime: `run` in the foreground (runc with --keep, so its
// cgroup survives for the read-back); the container's stdout and stderr captured by the common
// bounded supervisor; at the deadline the container is killed through the runtime.
// `delete --force` is the caller's (always) last step.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backends/oci/runtime.hpp"
#include "kavach/error.hpp"
#include "kavach/stream.hpp"
#include "kavach/result.hpp"

namespace kavach::oci {

struct RuntimeCommand {
  RuntimeChoice runtime;
  std::vector<std::string> global_args;  // --root, --log, --log-format; runsc: network, platform...
  // [binary, global args..., sub...]
  [[nodiscard]] std::vector<std::string> argv(std::vector<std::string> sub) const;
};

struct ContainerRequest {
  RuntimeCommand rt;
  std::string id;
  std::filesystem::path bundle;
  std::filesystem::path runtime_log;  // the runtime's --log file (errors are read from it)
  std::optional<std::string> stdin_data;
  int stdin_source = -1;          // or a stream (Command::stdin_fd)
  OutputSink* sink = nullptr;     // live output (Command::output)
  std::uint64_t output_cap = 1u << 20;
  std::chrono::steady_clock::time_point deadline;
  // Optional CPU-time budget of the container (see common::SuperviseRequest).
  std::function<std::optional<std::uint64_t>()> cpu_usage_usec;
  std::uint64_t cpu_limit_usec = 0;
};

struct ContainerOutcome {
  bool started = false;       // the runtime got as far as starting the command
  std::optional<int> status;  // as the runtime reports it: exit code, or 128+N for signal N
  bool timed_out = false;
  bool cpu_limit_hit = false;  // the CPU-time budget was spent; the container was killed
  bool stopped_by_consumer = false;  // the live sink asked to stop; the container was killed
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string runtime_error;  // the runtime's own error message; empty when none
  // rusage of the runtime process and what it reaped (the container's processes included).
  double user_cpu_ms = 0;
  double sys_cpu_ms = 0;
  std::vector<StageTiming> timings;
};

[[nodiscard]] Result<ContainerOutcome> run_container(const ContainerRequest& req);

// Whether the runtime still holds state for `id` under its --root (a cheap check that spares a
// `delete` after runs the runtime already removed, e.g. `runsc run`). True when unsure.
[[nodiscard]] bool container_known(const RuntimeCommand& rt, const std::string& id);

// `delete --force <id>`, bounded. Error (setup_failed) with the runtime's message.
[[nodiscard]] Result<void> delete_container(const RuntimeCommand& rt, const std::string& id);

// The last error-level message of a runtime's JSON log ("" when none).
[[nodiscard]] std::string last_log_error(const std::filesystem::path& log);

}  // namespace kavach::oci
