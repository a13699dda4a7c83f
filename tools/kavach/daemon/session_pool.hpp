// Warm starts: sessions opened ahead of time for one configuration (the daemon's --pool-preset),
// each handed to exactly one client (never reused), refilled in the background, and recycled
// when they waited too long (their idle clock and lifetime run from the open).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "kavach/session.hpp"

namespace kavach::daemon {

class SessionPool {
 public:
  SessionPool(SandboxConfig config, SessionOptions options, std::size_t size);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // Whether a request for this configuration may be served from the pool.
  [[nodiscard]] bool matches(const SandboxConfig& config, const SessionOptions& options) const;
  // A ready session (its owner's from now on), or nullptr when none is ready.
  [[nodiscard]] std::unique_ptr<Session> take();
  [[nodiscard]] std::size_t ready() const;
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::string last_error() const;

 private:
  struct Ready {
    std::unique_ptr<Session> session;
    std::chrono::steady_clock::time_point opened;
  };
  void loop();

  SandboxConfig config_;
  SessionOptions options_;
  std::size_t size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Ready> ready_;
  std::string last_error_;
  bool stopping_ = false;
  std::thread filler_;
};

}  // namespace kavach::daemon
