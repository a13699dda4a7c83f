#include "backends/process/warm_pool.hpp"

#include <poll.h>
#include <unistd.h>

#include "backends/process/prepared_sandbox.hpp"
#include "backends/process/process_backend_impl.hpp"

namespace kavach::process {

Result<std::unique_ptr<WarmPool>> WarmPool::create(const HostInfo& host, ProcessBackendOptions options,
                                                   SandboxPolicy policy, std::size_t size) {
  if (size == 0 || size > 64) {
    return fail(ErrorCode::invalid_argument, "warm pool size must be between 1 and 64",
                {{"size", std::to_string(size)}});
  }
  auto valid = ValidPolicy::check(std::move(policy));
  if (!valid) return tl::unexpected(valid.error());
  auto backend = std::make_unique<ProcessBackend>(host, options);
  if (auto h = backend->health_check(); !h) return tl::unexpected(h.error());
  return std::unique_ptr<WarmPool>(new WarmPool(std::move(backend), std::move(*valid), size));
}

WarmPool::WarmPool(std::unique_ptr<ProcessBackend> backend, ValidPolicy policy, std::size_t size)
    : backend_(std::move(backend)), policy_(std::move(policy)), size_(size), owner_(::getpid()) {
  filler_ = std::thread([this] { fill_loop(); });
}

WarmPool::~WarmPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  filler_.join();
  std::lock_guard lock(mu_);
  ready_.clear();  // each one: pipe closed, PID 1 killed and reaped, cgroups removed
  spent_.clear();
}

void WarmPool::fill_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!spent_.empty()) {
      auto spent = std::move(spent_);
      spent_.clear();
      lock.unlock();
      spent.clear();
      lock.lock();
      continue;
    }
    if (ready_.size() >= size_) {
      cv_.wait(lock);
      continue;
    }
    lock.unlock();
    std::optional<std::string> error;
    auto sb = backend_->prepare(policy_, nullptr);
    if (sb) {
      if (auto r = backend_->wait_ready(**sb); !r) error = r.error().message;
    } else {
      error = sb.error().message;
    }
    lock.lock();
    if (error) {
      // Persistent failures must not spin: exec() falls back to cold starts (which report the
      // error to the caller) and the pool tries again later.
      last_error_ = error;
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
      continue;
    }
    ready_.push_back(std::move(*sb));
    cv_.notify_all();
  }
}

// The oldest ready sandbox whose PID 1 is still alive (a dead one is discarded).
std::unique_ptr<PreparedSandbox> WarmPool::take_live() {
  std::lock_guard lock(mu_);
  while (!ready_.empty()) {
    auto sb = std::move(ready_.front());
    ready_.pop_front();
    pollfd p{sb->pidfd.get(), POLLIN, 0};
    // A pooled sandbox shows the host as it was when it was built. If a protected path appeared
    // or went away since, its binds are not the ones a cold start would make now (a protected
    // file created after the build would be movable): not used, replaced by the filler.
    if (::poll(&p, 1, 0) == 0 &&
        protected_binds_key(policy_->fs.protected_paths, sb->protected_roots) == sb->protected_key) {
      return sb;
    }
    spent_.push_back(std::move(sb));  // died while pooled, or stale: the filler cleans up and replaces it
  }
  return nullptr;
}

Result<ExecResult> WarmPool::exec(const Command& cmd, std::optional<std::chrono::milliseconds> timeout) {
  ValidPolicy policy = policy_;
  if (timeout) {
    // Same range as the policy's own timeout: zero or less would be a deadline already past.
    auto shorter = policy_.with_wall_timeout(*timeout);
    if (!shorter) {
      Error e = shorter.error();
      e.code = ErrorCode::invalid_argument;
      return tl::unexpected(std::move(e));
    }
    if (*timeout < policy_->limits.wall_timeout) policy = std::move(*shorter);
  }
  std::unique_ptr<PreparedSandbox> sb;
  // Injected files and a terminal belong to the sandbox's set-up: such commands start cold.
  if (cmd.files.empty() && !cmd.terminal && ::getpid() == owner_) sb = take_live();
  if (!sb) {
    cv_.notify_all();  // maybe a dead one to replace
    return backend_->exec(policy, cmd);
  }
  Result<ExecResult> result = with_mount_plan(backend_->run_prepared(*sb, policy, cmd), *sb);
  {
    // The filler removes what is left of it (empty cgroups, the held mount namespace) and
    // builds a replacement; only now, so neither runs beside the command.
    std::lock_guard lock(mu_);
    spent_.push_back(std::move(sb));
  }
  cv_.notify_all();
  return result;
}

bool WarmPool::wait_full(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, until, [this] { return ready_.size() >= size_ && spent_.empty(); })) return false;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
  return backend_->wait_idle(std::max(left, std::chrono::milliseconds(0)));
}

std::size_t WarmPool::ready() const {
  std::lock_guard lock(mu_);
  return ready_.size();
}

std::vector<pid_t> WarmPool::idle_pids() const {
  std::lock_guard lock(mu_);
  std::vector<pid_t> out;
  for (const auto& sb : ready_) out.push_back(sb->pid);
  return out;
}

std::optional<std::string> WarmPool::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace kavach::process
