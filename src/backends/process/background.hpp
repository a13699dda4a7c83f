// Work a process backend does off the caller's path, on one helper thread started on first use:
// tearing down spent sandboxes after their result is out (today: releasing the mount namespace
// held since the clone, so its teardown is not part of PID 1's exit inside the run).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kavach::process {

struct PreparedSandbox;

// "run-<pid>-<n>", unique in this process (every backend object shares the counter).
[[nodiscard]] std::string next_run_cgroup_name();

class Background {
 public:
  Background();
  ~Background();  // stops the thread; tears down what is queued
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // Destroys `sandbox` on the helper thread (inline in a forked copy of the process).
  void retire(std::unique_ptr<PreparedSandbox> sandbox);
  // Blocks until nothing is queued (benchmarks: keep the helper's work out of timed samples).
  // False on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  void loop();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PreparedSandbox>> retired_;
  bool busy_ = false;
  bool stop_ = false;
  pid_t owner_;  // a forked copy of this process has no helper thread: it works inline
  std::thread thread_;
};

}  // namespace kavach::process
