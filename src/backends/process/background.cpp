#include "backends/process/background.hpp"

#include <unistd.h>

#include <atomic>

#include "backends/process/prepared_sandbox.hpp"

namespace kavach::process {

std::string next_run_cgroup_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "run-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

Background::Background() : owner_(::getpid()) {
  thread_ = std::thread([this] { loop(); });
}

Background::~Background() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  retired_.clear();
}

void Background::retire(std::unique_ptr<PreparedSandbox> sandbox) {
  if (::getpid() != owner_) return;  // forked copy: torn down right here, on return
  {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(sandbox));
  }
  cv_.notify_all();
}

bool Background::wait_idle(std::chrono::milliseconds timeout) {
  if (::getpid() != owner_) return true;
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return !busy_ && retired_.empty(); });
}

void Background::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (retired_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto batch = std::move(retired_);
    retired_.clear();
    busy_ = true;
    lock.unlock();
    batch.clear();  // ~PreparedSandbox: held namespace released
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace kavach::process
