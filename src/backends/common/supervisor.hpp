// Child supervision: one poll loop that waits for a process (pidfd), captures stdout and stderr
// concurrently into bounded buffers, feeds stdin, enforces the wall-clock deadline, and kills the
// whole tree when the deadline passes, the tree's CPU-time budget is spent, or the process exits. Never hangs on pipes that a
// surviving grandchild keeps open: after the process is gone, reading stops after a short grace.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backends/common/cpu_backstop.hpp"
#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"
#include "kavach/stream.hpp"

namespace kavach::common {

struct SuperviseRequest {
  int pidfd = -1;             // the process whose exit ends the run (not closed here)
  UniqueFd stdout_fd;         // read ends; closed here
  UniqueFd stderr_fd;
  UniqueFd stdin_fd;          // write end or invalid; closed once its input is written
  std::string_view stdin_data;
  // Or a stream: the caller's descriptor, read (never more than one buffer ahead of what the
  // command took) and written to stdin_fd until EOF. Not closed here.
  int stdin_source = -1;
  // Live output: every chunk read also goes to the sink (stdout chunks as `stdout_as`); the
  // sink's idle hook runs after `sink->idle_ms()` without output; false from it stops the run.
  OutputSink* sink = nullptr;
  // A terminal's window changed when `resize_fd` is readable: drained, then on_resize runs.
  int resize_fd = -1;
  std::function<void()> on_resize;
  std::uint64_t output_cap = 1u << 20;  // per stream
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds drain_grace{250};
  // Kills everything the run started (idempotent). Called on timeout and after the exit.
  std::function<void()> kill_tree;
  // Optional CPU-time budget of the whole tree: `cpu_usage_usec` returns the tree's total CPU
  // time (cgroup accounting), polled every `cpu_poll` while the process runs; once it reaches
  // `cpu_limit_usec` the tree is killed (kill_tree) and cpu_limit_hit is set.
  std::function<std::optional<std::uint64_t>()> cpu_usage_usec;
  std::uint64_t cpu_limit_usec = 0;
  std::chrono::milliseconds cpu_poll = kCpuWatchPeriod;
};

struct SuperviseOutcome {
  int wait_code = 0;    // CLD_EXITED, CLD_KILLED or CLD_DUMPED for the supervised process
  int wait_status = 0;  // exit status or signal number
  rusage usage{};     // of the process and the descendants it reaped
  bool timed_out = false;
  bool cpu_limit_hit = false;  // the CPU-time budget was spent and the tree killed for it
  std::optional<std::uint64_t> cpu_used_usec;  // last value read (budgeted runs only)
  bool output_cut = false;  // pipes still open after the tree died; reading stopped
  bool stopped_by_consumer = false;  // the sink asked to stop; the tree was killed
  std::string stdout_data;
  std::string stderr_data;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::uint64_t stdout_total = 0;
  std::uint64_t stderr_total = 0;
};

// Blocks until the process has been reaped and the outputs drained (bounded by the deadline plus
// the kill and the grace). Errors only for broken supervision (poll/waitid failures).
[[nodiscard]] Result<SuperviseOutcome> supervise(SuperviseRequest req);

}  // namespace kavach::common
