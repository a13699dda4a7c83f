// Session: a Sandbox whose backend is a SessionBackend (session_backend.hpp), plus what only a
// long-lived sandbox needs: pause/resume, metrics, an idle timeout.
#include "kavach/session.hpp"

#include "sandbox/session_backend.hpp"

namespace kavach {

Result<std::unique_ptr<Session>> Session::open(SandboxConfig config, SessionOptions options) {
  if (options.max_lifetime.count() <= 0) {
    return fail(ErrorCode::invalid_argument, "a session's max_lifetime must be positive");
  }
  if (options.idle_timeout.count() < 0) return fail(ErrorCode::invalid_argument, "idle_timeout must not be negative");
  auto inner = create_backend(config.backend);
  if (!inner) return tl::unexpected(inner.error());
  if ((*inner)->maturity() != Maturity::runs_commands) {
    return fail(ErrorCode::backend_unavailable,
                std::string(to_string(config.backend)) + " does not run commands: no session on it");
  }
  auto backend = SessionBackend::start(std::move(*inner), config.policy, options.max_lifetime);
  if (!backend) return tl::unexpected(backend.error());
  SessionBackend* raw = backend->get();
  auto sandbox = Sandbox::create(std::move(config), std::move(*backend));
  if (!sandbox) return tl::unexpected(sandbox.error());
  std::unique_ptr<Session> s(new Session(std::move(*sandbox), raw, options));
  if (options.idle_timeout.count() > 0) s->idle_watch_ = std::thread([p = s.get()] { p->watch_idle(); });
  return s;
}

Session::Session(std::unique_ptr<Sandbox> sandbox, SessionBackend* backend, SessionOptions options)
    : sandbox_(std::move(sandbox)), backend_(backend), options_(options) {}

Session::~Session() {
  (void)destroy();
  if (idle_watch_.joinable()) idle_watch_.join();  // it may have been the one that destroyed
}

void Session::watch_idle() {
  std::unique_lock lk(mu_);
  while (!destroyed_) {
    const auto idle_since = backend_->last_activity();
    const auto due = idle_since + options_.idle_timeout;
    if (std::chrono::steady_clock::now() >= due && backend_->running_execs() == 0 && !paused_) {
      end_reason_ = "idle for " + std::to_string(options_.idle_timeout.count()) + " ms";
      lk.unlock();
      (void)destroy();
      return;
    }
    cv_.wait_until(lk, std::max(due, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
  }
}

Result<RunReport> Session::exec(const Command& cmd) {
  if (destroyed_) return fail(ErrorCode::backend_unavailable, "the session has ended: " + end_reason());
  if (paused_) return fail(ErrorCode::invalid_transition, "the session is paused: resume it first");
  auto r = sandbox_->exec(cmd);
  cv_.notify_all();  // the idle clock restarts from the end of this exec
  return r;
}

Result<ExportedFile> Session::export_file(const std::filesystem::path& path) { return sandbox_->export_file(path); }

Result<void> Session::import_file(const std::filesystem::path& path, std::string_view data, unsigned mode) {
  return sandbox_->import_file(path, data, mode);
}

Result<void> Session::pause() {
  std::lock_guard lk(mu_);
  if (destroyed_) return fail(ErrorCode::backend_unavailable, "the session has ended: " + end_reason_);
  if (paused_) return {};
  if (auto r = backend_->freeze(true); !r) return r;
  paused_ = true;
  return {};
}

Result<void> Session::resume() {
  std::lock_guard lk(mu_);
  if (destroyed_) return fail(ErrorCode::backend_unavailable, "the session has ended: " + end_reason_);
  if (!paused_) return {};
  if (auto r = backend_->freeze(false); !r) return r;
  paused_ = false;
  return {};
}

Result<void> Session::destroy() {
  {
    std::lock_guard lk(mu_);
    if (destroyed_) return {};
    destroyed_ = true;
    if (end_reason_.empty()) end_reason_ = "destroyed";
  }
  cv_.notify_all();
  if (idle_watch_.joinable() && idle_watch_.get_id() != std::this_thread::get_id()) idle_watch_.join();
  if (sandbox_->state() == State::destroyed) return {};
  if (sandbox_->state() == State::running) (void)sandbox_->stop();
  return sandbox_->destroy();
}

Result<SessionMetrics> Session::metrics() { return backend_->metrics(); }

bool Session::alive() const { return !destroyed_ && backend_->alive(); }

bool Session::paused() const { return paused_; }

std::string Session::end_reason() const {
  std::lock_guard lk(mu_);
  if (!end_reason_.empty()) return end_reason_;
  return backend_->alive() ? "" : backend_->end_reason();
}

}  // namespace kavach
