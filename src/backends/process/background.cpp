#include "backends/process/background.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "backends/process/prepared_sandbox.hpp"

namespace kavach::process {

std::string next_run_cgroup_name() {
  // Process-wide: every backend object (a WarmPool has its own) names its run cgroups
  // "run-<pid>-<n>" in the same parent directories.
  static std::atomic<std::uint64_t> counter{0};
  return "run-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

Background::Background(CgroupInfo host) : host_(std::move(host)), owner_(::getpid()) {
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
  stocks_.clear();  // each RunCgroup removes its directories
}

common::CgroupSetup Background::named(const common::CgroupSetup& s) {
  common::CgroupSetup out = s;
  out.name = next_run_cgroup_name();
  return out;
}

common::RunCgroup Background::take_cgroup(const common::CgroupSetup& setup) {
  if (::getpid() != owner_) return common::RunCgroup::create(host_, named(setup));
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(stocks_.begin(), stocks_.end(), [&](const Stock& st) {
      return st.setup.limits == setup.limits && st.setup.want_v2_dir == setup.want_v2_dir;
    });
    if (it == stocks_.end()) {
      if (stocks_.size() >= kLimitSets) {
        stocks_.erase(std::min_element(stocks_.begin(), stocks_.end(), [](const Stock& a, const Stock& b) {
          return a.last_use < b.last_use;
        }));
      }
      stocks_.push_back(Stock{setup, {}, 0});
      it = std::prev(stocks_.end());
    }
    it->last_use = ++uses_;
    if (!it->ready.empty()) {
      common::RunCgroup cg = std::move(it->ready.front());
      it->ready.pop_front();
      cv_.notify_all();
      return cg;
    }
  }
  cv_.notify_all();
  return common::RunCgroup::create(host_, named(setup));
}

void Background::retire(std::unique_ptr<PreparedSandbox> sandbox) {
  if (::getpid() != owner_) return;  // forked copy: torn down right here, on return
  {
    std::lock_guard lock(mu_);
    retired_.push_back(std::move(sandbox));
  }
  cv_.notify_all();
}

bool Background::idle_locked() const {
  if (busy_ || !retired_.empty()) return false;
  return std::all_of(stocks_.begin(), stocks_.end(), [](const Stock& st) { return st.ready.size() >= kPerLimits; });
}

bool Background::wait_idle(std::chrono::milliseconds timeout) {
  if (::getpid() != owner_) return true;
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return idle_locked(); });
}

void Background::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!retired_.empty()) {
      auto batch = std::move(retired_);
      retired_.clear();
      busy_ = true;
      lock.unlock();
      batch.clear();  // ~PreparedSandbox: cgroups removed, held namespace released
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    auto low = std::find_if(stocks_.begin(), stocks_.end(), [](const Stock& st) { return st.ready.size() < kPerLimits; });
    if (low == stocks_.end()) {
      cv_.wait(lock);
      continue;
    }
    const common::CgroupSetup setup = named(low->setup);
    busy_ = true;
    lock.unlock();
    common::RunCgroup cg = common::RunCgroup::create(host_, setup);
    lock.lock();
    busy_ = false;
    // The limit set may have been evicted meanwhile: then `cg` is simply removed.
    auto it = std::find_if(stocks_.begin(), stocks_.end(), [&](const Stock& st) {
      return st.setup.limits == setup.limits && st.setup.want_v2_dir == setup.want_v2_dir;
    });
    if (it != stocks_.end() && cg.failures().empty()) {
      it->ready.push_back(std::move(cg));
    } else if (it != stocks_.end()) {
      // A limit that cannot be set up is reported by the run that creates it on demand; do
      // not stock it (or retry in a loop).
      it->ready.clear();
      stocks_.erase(it);
    }
    cv_.notify_all();
  }
}

}  // namespace kavach::process
