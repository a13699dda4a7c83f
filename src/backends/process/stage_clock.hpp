// Monotonic timestamps and the per-stage laps reported in ExecResult.timings.
#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kavach/result.hpp"

namespace kavach::process {

inline std::uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline double ms_between(std::uint64_t from_ns, std::uint64_t to_ns) {
  return to_ns > from_ns ? static_cast<double>(to_ns - from_ns) / 1e6 : 0.0;
}

class StageClock {
 public:
  explicit StageClock(std::uint64_t start_ns) : last_(start_ns) {}
  void lap(const char* stage) {
    const std::uint64_t now = mono_ns();
    items.push_back({stage, ms_between(last_, now)});
    last_ = now;
  }
  std::vector<StageTiming> items;

 private:
  std::uint64_t last_;
};

}  // namespace kavach::process
