// Child supervision: one poll loop that waits for a process (pidfd), captures stdout and stderr
// concurrently into bounded buffers, feeds stdin, enforces the wall-clock deadline, and kills the
// whole tree when the deadline passes or the process exits. Never hangs on pipes that a
// surviving grandchild keeps open: after the process is gone, reading stops after a short grace.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::common {

struct SuperviseRequest {
  int pidfd = -1;             // the process whose exit ends the run (not closed here)
  UniqueFd stdout_fd;         // read ends; closed here
  UniqueFd stderr_fd;
  UniqueFd stdin_fd;          // write end or invalid; closed once `stdin_data` is written
  std::string_view stdin_data;
  std::uint64_t output_cap = 1u << 20;  // per stream
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds drain_grace{250};
  // Kills everything the run started (idempotent). Called on timeout and after the exit.
  std::function<void()> kill_tree;
};

struct SuperviseOutcome {
  int wait_code = 0;    // CLD_EXITED, CLD_KILLED or CLD_DUMPED for the supervised process
  int wait_status = 0;  // exit status or signal number
  rusage usage{};     // of the process and the descendants it reaped
  bool timed_out = false;
  bool output_cut = false;  // pipes still open after the tree died; reading stopped
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
