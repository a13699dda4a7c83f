#include "daemon/session_pool.hpp"

namespace kavach::daemon {
namespace {

// A pooled session older than this is replaced: a client should get (nearly) its whole lifetime.
constexpr auto kFreshFor = std::chrono::seconds(60);

// The same policy whatever it is called ("strict" from the preset, "strict+file" from a policy
// that only extends it): the name is a label, not a control.
bool same_policy(SandboxPolicy a, SandboxPolicy b) {
  a.name.clear();
  b.name.clear();
  return a == b;
}

}  // namespace

SessionPool::SessionPool(SandboxConfig config, SessionOptions options, std::size_t size)
    : config_(std::move(config)), options_(options), size_(size) {
  filler_ = std::thread([this] { loop(); });
}

SessionPool::~SessionPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  filler_.join();
  for (auto& r : ready_) (void)r.session->destroy();
}

bool SessionPool::matches(const SandboxConfig& c, const SessionOptions& o) const {
  return c.backend == config_.backend && same_policy(c.policy.get(), config_.policy.get()) &&
         c.gate.enabled == config_.gate.enabled && c.gate.rules == nullptr && c.hooks.empty() && !c.credentials &&
         c.secret_refs.empty() && o.idle_timeout == options_.idle_timeout && o.max_lifetime == options_.max_lifetime;
}

std::unique_ptr<Session> SessionPool::take() {
  std::unique_lock lk(mu_);
  while (!ready_.empty()) {
    Ready r = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();  // refill
    if (r.session->alive() && std::chrono::steady_clock::now() - r.opened < kFreshFor) return std::move(r.session);
    lk.unlock();
    (void)r.session->destroy();
    lk.lock();
  }
  return nullptr;
}

std::size_t SessionPool::ready() const {
  std::lock_guard lk(mu_);
  return ready_.size();
}

std::string SessionPool::last_error() const {
  std::lock_guard lk(mu_);
  return last_error_;
}

void SessionPool::loop() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    // Recycle stale ones first, then fill up, one open at a time (outside the lock).
    const auto now = std::chrono::steady_clock::now();
    if (!ready_.empty() && (now - ready_.front().opened >= kFreshFor || !ready_.front().session->alive())) {
      Ready stale = std::move(ready_.front());
      ready_.pop_front();
      lk.unlock();
      (void)stale.session->destroy();
      lk.lock();
      continue;
    }
    if (ready_.size() < size_) {
      lk.unlock();
      auto s = Session::open(config_, options_);
      lk.lock();
      if (s) {
        ready_.push_back({std::move(*s), std::chrono::steady_clock::now()});
        last_error_.clear();
        continue;
      }
      last_error_ = s.error().message;
      cv_.wait_for(lk, std::chrono::seconds(5), [this] { return stopping_; });  // do not spin on a failure
      continue;
    }
    cv_.wait_for(lk, std::chrono::seconds(1));
  }
}

}  // namespace kavach::daemon
