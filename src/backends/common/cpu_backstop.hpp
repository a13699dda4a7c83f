// CPU time: the supervisor (or the runtime's cgroup, read by kavach) watches the whole tree and
// kills it at policy.limits.cpu_time_seconds; RLIMIT_CPU per process is set this much above as
// the backstop for when the watch is late. The same slack on every backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace kavach::common {

// How often the tree's CPU time is read while a CPU-time limit is set.
inline constexpr std::chrono::milliseconds kCpuWatchPeriod{50};
inline constexpr std::uint64_t kCpuBackstopSlackSeconds = 1;

// "polled every 50 ms, killed at the limit; RLIMIT_CPU 1 s above as backstop": the one wording.
inline std::string cpu_watch_detail() {
  return "polled every " + std::to_string(kCpuWatchPeriod.count()) + " ms, killed at the limit; RLIMIT_CPU " +
         std::to_string(kCpuBackstopSlackSeconds) + " s above as backstop";
}

}  // namespace kavach::common
