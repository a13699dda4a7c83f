// Work a process backend does off the caller's path, on one helper thread started on first use:
// tearing down spent sandboxes after their result is out (empty cgroups, the held mount
// namespace), and keeping a small stock of run cgroups created ahead of time, with their limits
// already written, for the limit sets recently asked for. A stocked cgroup is used by one run
// only and removed after it, like one created on demand (never emptied and reused: v1 keeps
// peaks and limit events that cannot be reset).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "backends/common/cgroup.hpp"
#include "kavach/host.hpp"

namespace kavach::process {

struct PreparedSandbox;

// "run-<pid>-<n>", unique in this process.
[[nodiscard]] std::string next_run_cgroup_name();

class Background {
 public:
  explicit Background(CgroupInfo host);
  ~Background();  // stops the thread; removes the stock and tears down what is queued
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // A run cgroup for `setup` (its name is ignored): from the stock, or created now. Either way
  // the stock for these limits is topped up in the background.
  common::RunCgroup take_cgroup(const common::CgroupSetup& setup);
  // Destroys `sandbox` on the helper thread.
  void retire(std::unique_ptr<PreparedSandbox> sandbox);
  // Blocks until nothing is queued and the stock is full (benchmarks: keep the helper's work
  // out of timed samples). False on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  struct Stock {
    common::CgroupSetup setup;
    std::deque<common::RunCgroup> ready;
    std::uint64_t last_use = 0;
  };
  static constexpr std::size_t kPerLimits = 2;
  static constexpr std::size_t kLimitSets = 4;

  void loop();
  [[nodiscard]] bool idle_locked() const;
  static common::CgroupSetup named(const common::CgroupSetup& s);

  CgroupInfo host_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::list<Stock> stocks_;  // (a list: RunCgroup moves are not noexcept-copyable in vectors)
  std::vector<std::unique_ptr<PreparedSandbox>> retired_;
  std::uint64_t uses_ = 0;
  pid_t owner_;  // a forked copy of this process has no helper thread: it works inline
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace kavach::process
