#include "sandbox/session_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <sstream>

#include "core/sandbox_environment.hpp"

namespace kavach {

namespace sf = session_frames;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChunk = 65536;
constexpr auto kReadyWait = std::chrono::seconds(60);     // set-up of the sandbox itself
constexpr auto kControlWait = std::chrono::seconds(10);   // stats / freeze / thaw answers
constexpr auto kKillGrace = std::chrono::seconds(5);      // after a timeout kill, for `exited`
constexpr std::size_t kInitStderrKept = 4096;
constexpr auto kWantedPoll = std::chrono::milliseconds(200);  // OutputSink::still_wanted
constexpr auto kShutdownWait = std::chrono::seconds(2);     // for the init to leave on EOF
constexpr std::size_t kQueueLimit = 8u << 20;  // live output waiting for one exec's consumer

// The init's own run: the output limit bounds only what the backend keeps of the channel (the
// frames themselves all reach the sink), so it is kept small.
constexpr std::uint64_t kChannelKeptBytes = 64 * 1024;

// What an exec keeps of a stream: the first `cap` bytes, and the count of all.
struct Capture {
  explicit Capture(std::uint64_t c) : cap(c) {}
  void append(const char* p, std::size_t n) {
    total += n;
    if (data.size() < cap) data.append(p, std::min<std::uint64_t>(n, cap - data.size()));
  }
  [[nodiscard]] bool truncated() const { return total > data.size(); }
  std::uint64_t cap;
  std::uint64_t total = 0;
  std::string data;
};

}  // namespace

// One exec in flight: filled by the runner thread (dispatch), read by the exec's thread.
struct SessionBackend::Pending {
  OutputSink* sink = nullptr;
  Capture out;
  Capture err;
  bool started = false;
  bool done = false;
  bool exited = false;  // `exited` came (done without it or `failed`: the session ended)
  bool stop_requested = false;
  bool output_since_idle = false;
  Clock::time_point last_output{};
  std::optional<int> failed_errno;
  std::string failed_message;
  int wait_status = 0;
  // Output for the live sink, delivered by the exec's own thread outside mu_: a slow consumer
  // holds up its exec (and, past kQueueLimit, the session's channel), never anything else.
  std::deque<std::pair<OutputStream, std::string>> queue;
  std::size_t queued = 0;
  Pending(OutputSink* s, std::uint64_t cap) : sink(s), out(cap), err(cap) {}
};

SessionBackend::SessionBackend(std::unique_ptr<Backend> inner, int control_write)
    : inner_(std::move(inner)), kind_(inner_->kind()), control_w_(control_write), last_activity_(Clock::now()) {}

SessionBackend::~SessionBackend() { (void)destroy(); }

Result<std::unique_ptr<SessionBackend>> SessionBackend::start(std::unique_ptr<Backend> inner, const ValidPolicy& policy,
                                                              std::chrono::milliseconds max_lifetime) {
  SandboxPolicy p = policy.get();
  p.limits.wall_timeout = max_lifetime;
  p.limits.output_bytes = kChannelKeptBytes;
  auto init_policy = ValidPolicy::check(p);
  if (!init_policy) return tl::unexpected(init_policy.error());
  // A socket, not a pipe: writes after the init is gone fail with EPIPE instead of raising
  // SIGPIPE in the caller's process (MSG_NOSIGNAL).
  int ctl[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) != 0) {
    return fail(ErrorCode::io_error, std::string("socketpair: ") + std::strerror(errno));
  }
  ::shutdown(ctl[0], SHUT_WR);
  ::shutdown(ctl[1], SHUT_RD);
  std::unique_ptr<SessionBackend> s(new SessionBackend(std::move(inner), ctl[1]));
  SessionBackend* self = s.get();
  const int control_r = ctl[0];
  s->runner_ = std::thread([self, control_r, vp = std::move(*init_policy)] {
    Command init;
    init.argv = {"kavach-session-init"};
    init.session_init = true;
    init.stdin_fd = control_r;
    init.output = self;
    auto r = self->inner_->exec(vp, init);
    ::close(control_r);
    std::lock_guard lk(self->mu_);
    self->init_result_ = std::move(r);
    self->ended_ = true;
    for (auto& [id, pending] : self->pending_) pending->done = true;
    self->cv_.notify_all();
  });
  std::unique_lock lk(s->mu_);
  if (!s->cv_.wait_for(lk, kReadyWait, [&] { return s->ready_ || s->ended_; }) || !s->ready_) {
    const std::string why = s->ended_ ? s->end_reason_locked() : "the session init did not answer within 60 s";
    lk.unlock();
    (void)s->destroy();
    if (s->init_result_ && !*s->init_result_) return tl::unexpected(s->init_result_->error());
    return fail(ErrorCode::setup_failed, "the session did not start: " + why);
  }
  return s;
}

std::string SessionBackend::end_reason_locked() const {
  if (!init_result_) return ended_ ? "ended" : "";
  if (!*init_result_) return init_result_->error().message;
  const ExecResult& r = **init_result_;
  std::string why = r.final_reason();
  if (!init_stderr_.empty()) why += "; init: " + init_stderr_;
  return why;
}

std::string SessionBackend::end_reason() const {
  std::lock_guard lk(mu_);
  return end_reason_locked();
}

bool SessionBackend::alive() const {
  std::lock_guard lk(mu_);
  return ready_ && !ended_;
}

std::size_t SessionBackend::running_execs() const {
  std::lock_guard lk(mu_);
  return pending_.size();
}

Clock::time_point SessionBackend::last_activity() const {
  std::lock_guard lk(mu_);
  return last_activity_;
}

Result<void> SessionBackend::health_check() {
  if (!alive()) return fail(ErrorCode::backend_unavailable, "the session has ended: " + end_reason());
  return inner_->health_check();
}

Result<void> SessionBackend::send(sf::Type t, std::uint32_t id, std::string_view payload) {
  std::string frame;
  sf::append_frame(frame, t, id, payload);
  std::lock_guard lk(write_mu_);
  if (control_w_ < 0) return fail(ErrorCode::backend_unavailable, "the session has ended");
  const char* p = frame.data();
  std::size_t n = frame.size();
  while (n > 0) {
    const ssize_t w = ::send(control_w_, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::backend_unavailable, "the session has ended: " + std::string(std::strerror(errno)));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

Result<void> SessionBackend::destroy() {
  {
    std::lock_guard lk(write_mu_);
    if (control_w_ >= 0) {
      std::string frame;
      sf::append_frame(frame, sf::Type::shutdown, 0, {});
      (void)!::send(control_w_, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(control_w_);  // EOF: the init leaves even if the frame was lost
      control_w_ = -1;
    }
  }
  if (runner_.joinable() && runner_.get_id() != std::this_thread::get_id()) {
    // The init leaves on EOF; one that cannot (stopped by a command of the session, stuck) is not
    // waited for: the backend kills the whole tree, as at a timeout.
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, kShutdownWait, [this] { return ended_; })) {
      abandoned_ = true;
      cv_.notify_all();  // a runner held by back-pressure lets go
    }
    lk.unlock();
    runner_.join();
  }
  return inner_->destroy();
}

bool SessionBackend::on_output(OutputStream stream, std::string_view bytes) {
  std::unique_lock lk(mu_);
  if (stream == OutputStream::stderr_stream) {
    init_stderr_.append(bytes.data(), bytes.size());
    if (init_stderr_.size() > kInitStderrKept) init_stderr_.erase(0, init_stderr_.size() - kInitStderrKept);
    return true;
  }
  reader_.feed(bytes);
  sf::Header h;
  std::string payload;
  bool bad = false;
  while (reader_.next(h, payload, bad)) dispatch(h, payload);
  if (bad) {
    init_stderr_ += " [kavach: malformed frame from the session init; session ended]";
    return false;  // the backend kills the sandbox
  }
  // Back-pressure: stop reading the channel while an exec's consumer is far behind.
  cv_.wait(lk, [this] {
    return abandoned_.load() || std::all_of(pending_.begin(), pending_.end(),
                                            [](const auto& kv) { return kv.second->queued <= kQueueLimit; });
  });
  return !abandoned_.load();
}

void SessionBackend::on_started(const EnforcementReport& controls) {
  std::lock_guard lk(mu_);
  report_ = controls;
}

// On the runner thread, mu_ held: records, never calls out.
void SessionBackend::dispatch(const sf::Header& h, std::string& payload) {
  const auto type = static_cast<sf::Type>(h.type);
  if (type == sf::Type::ready) {
    ready_ = true;
    cv_.notify_all();
    return;
  }
  if (type == sf::Type::stats_reply || type == sf::Type::ack) {
    control_reply_ = std::move(payload);
    cv_.notify_all();
    return;
  }
  auto it = pending_.find(h.id);
  if (it == pending_.end()) return;  // an exec that gave up waiting
  Pending& p = *it->second;
  switch (type) {
    case sf::Type::started:
      p.started = true;
      break;
    case sf::Type::failed:
      p.failed_errno = sf::int_of(payload);
      p.failed_message = payload.size() > 4 ? payload.substr(4) : std::string();
      p.done = true;
      break;
    case sf::Type::out:
    case sf::Type::err: {
      const bool is_out = type == sf::Type::out;
      (is_out ? p.out : p.err).append(payload.data(), payload.size());
      bytes_out_ += payload.size();
      p.last_output = Clock::now();
      p.output_since_idle = true;
      if (p.sink != nullptr && !p.stop_requested) {
        p.queued += payload.size();
        p.queue.emplace_back(is_out ? OutputStream::stdout_stream : OutputStream::stderr_stream, std::move(payload));
      }
      break;
    }
    case sf::Type::exited:
      p.wait_status = sf::int_of(payload);
      p.exited = true;
      p.done = true;
      break;
    default:
      break;
  }
  last_activity_ = Clock::now();
  cv_.notify_all();
}

Result<ExecResult> SessionBackend::run(const ValidPolicy& valid, const Command& cmd) {
  const SandboxPolicy& policy = valid.get();
  if (cmd.session_init) return fail(ErrorCode::invalid_argument, "a session's command cannot be a session init");
  if (!cmd.files.empty()) {
    return fail(ErrorCode::invalid_argument, "files placed at start (Command::files) are not available in a session: "
                                        "write them with import_file");
  }
  if (cmd.terminal) return fail(ErrorCode::invalid_argument, "a terminal is not available in a session exec yet");
  if (!cmd.egress_swaps.empty()) {
    return fail(ErrorCode::invalid_argument, "egress credential swaps are set when a session opens, not per exec");
  }
  auto environment = sandbox_environment(policy, cmd.env);
  if (!environment) return tl::unexpected(environment.error());
  std::vector<std::string> env;
  for (const auto& [k, v] : *environment) env.push_back(k + "=" + v);
  for (const auto& a : cmd.argv) {
    if (a.find('\0') != std::string::npos) return fail(ErrorCode::invalid_argument, "an argument contains a NUL byte");
  }

  const auto t0 = Clock::now();
  Pending pending(cmd.output, policy.limits.output_bytes);
  std::uint32_t id = 0;
  {
    std::lock_guard lk(mu_);
    if (ended_ || !ready_) return fail(ErrorCode::backend_unavailable, "the session has ended: " + end_reason_locked());
    id = next_id_++;
    pending_[id] = &pending;
    ++execs_;
    last_activity_ = t0;
  }
  auto forget = [this, id] {
    std::lock_guard lk(mu_);
    pending_.erase(id);
    cv_.notify_all();
    last_activity_ = Clock::now();
  };
  const std::string start_payload = sf::encode_start(cmd.argv, env, policy.fs.workdir.string());
  if (auto s = send(sf::Type::start, id, start_payload); !s) {
    forget();
    return tl::unexpected(s.error());
  }
  // stdin: the data given, or the caller's descriptor relayed until EOF (frames of 64 KiB; the
  // init's pipe to the command applies the back-pressure), or nothing.
  std::thread relay;
  if (cmd.stdin_data) {
    for (std::size_t i = 0; i < cmd.stdin_data->size(); i += kChunk) {
      if (!send(sf::Type::stdin_data, id, std::string_view(*cmd.stdin_data).substr(i, kChunk))) break;
    }
    (void)send(sf::Type::stdin_eof, id);
  } else if (cmd.stdin_fd >= 0) {
    const int fd = cmd.stdin_fd;
    relay = std::thread([this, fd, id] {
      std::string buf(kChunk, '\0');
      for (;;) {
        {
          std::lock_guard lk(mu_);
          auto it = pending_.find(id);
          if (it == pending_.end() || it->second->done) return;
        }
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 100) <= 0) continue;
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!send(sf::Type::stdin_data, id, std::string_view(buf.data(), static_cast<std::size_t>(n)))) return;
      }
      (void)send(sf::Type::stdin_eof, id);
    });
  } else {
    (void)send(sf::Type::stdin_eof, id);
  }

  ExecResult result;
  const auto deadline = t0 + policy.limits.wall_timeout;
  const auto idle = std::chrono::milliseconds(cmd.output != nullptr ? cmd.output->idle_ms() : 0);
  bool killed = false;
  Clock::time_point give_up{};
  {
    std::unique_lock lk(mu_);
    for (;;) {
      // Live output: delivered here, outside mu_ (the consumer may be slow: a client's socket).
      if (!pending.queue.empty()) {
        auto chunks = std::move(pending.queue);
        pending.queue.clear();
        pending.queued = 0;
        cv_.notify_all();  // the channel may go on
        const bool stopping = pending.stop_requested;
        lk.unlock();
        bool stop = false;
        for (auto& [stream, data] : chunks) {
          if (!stopping && !stop && !pending.sink->on_output(stream, data)) stop = true;
        }
        lk.lock();
        if (stop) pending.stop_requested = true;
        continue;
      }
      if (pending.done) break;
      if (pending.stop_requested && !killed) {
        lk.unlock();
        (void)send(sf::Type::signal, id, sf::int_payload(SIGKILL));
        lk.lock();
        killed = true;
        give_up = Clock::now() + kKillGrace;
        result.stopped_by_consumer = true;
        continue;
      }
      auto wake = killed ? give_up : deadline;
      if (pending.sink != nullptr && pending.output_since_idle) wake = std::min(wake, pending.last_output + idle);
      if (pending.sink != nullptr && !killed) wake = std::min(wake, Clock::now() + kWantedPoll);
      cv_.wait_until(lk, wake, [&] { return pending.done || !pending.queue.empty(); });
      if (pending.done || !pending.queue.empty()) continue;
      const auto now = Clock::now();
      // The sink's idle hook (the gate releases what it held back) and whether the consumer is
      // still there: also outside mu_.
      if (pending.sink != nullptr && !killed) {
        const bool idle_due = pending.output_since_idle && now >= pending.last_output + idle;
        if (idle_due) pending.output_since_idle = false;
        lk.unlock();
        if (idle_due) pending.sink->on_idle();
        const bool wanted = pending.sink->still_wanted();
        lk.lock();
        if (!wanted) pending.stop_requested = true;
      }
      if (!killed && now >= deadline) {
        lk.unlock();
        (void)send(sf::Type::signal, id, sf::int_payload(SIGKILL));
        lk.lock();
        killed = true;
        give_up = Clock::now() + kKillGrace;
        result.timed_out = true;
      } else if (killed && now >= give_up) {
        break;
      }
    }
    pending_.erase(id);
    cv_.notify_all();  // a runner waiting for this exec's consumer goes on
    last_activity_ = Clock::now();
    if (!pending.exited && !pending.failed_errno) {
      if (relay.joinable()) {
        lk.unlock();
        relay.join();
        lk.lock();
      }
      return fail(ErrorCode::backend_unavailable, "the session ended during the command: " + end_reason_locked());
    }
    if (report_) result.enforcement = *report_;
  }
  if (relay.joinable()) relay.join();
  if (pending.sink != nullptr) pending.sink->on_end();

  if (pending.failed_errno) {
    result.setup_failure = SetupFailure{"exec", *pending.failed_errno,
                                        "starting " + cmd.argv.front() + " in the session: " + pending.failed_message};
  } else if (WIFEXITED(pending.wait_status)) {
    result.exit_code = WEXITSTATUS(pending.wait_status);
  } else if (WIFSIGNALED(pending.wait_status)) {
    result.signal = WTERMSIG(pending.wait_status);
  }
  result.stdout_truncated = pending.out.truncated();
  result.stderr_truncated = pending.err.truncated();
  result.stdout_data = std::move(pending.out.data);
  result.stderr_data = std::move(pending.err.data);
  result.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  result.backend_info["session_exec"] = std::to_string(id);
  result.backend_info["start"] = "session (the command is a child of the session's init)";
  return result;
}

Result<std::string> SessionBackend::control(sf::Type t) {
  std::lock_guard serial(control_mu_);
  {
    std::lock_guard lk(mu_);
    control_reply_.reset();
  }
  if (auto s = send(t, 0); !s) return tl::unexpected(s.error());
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, kControlWait, [&] { return control_reply_.has_value() || ended_; }) || !control_reply_) {
    return fail(ErrorCode::backend_unavailable,
                ended_ ? "the session has ended: " + end_reason_locked() : "the session init did not answer");
  }
  std::string reply = std::move(*control_reply_);
  control_reply_.reset();
  return reply;
}

Result<SessionMetrics> SessionBackend::metrics() {
  auto reply = control(sf::Type::stats);
  if (!reply) return tl::unexpected(reply.error());
  SessionMetrics m;
  std::istringstream in(*reply);
  std::string kv;
  std::uint64_t ticks = 0;
  std::uint64_t hz = 100;
  while (in >> kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = kv.substr(0, eq);
    const std::uint64_t v = std::strtoull(kv.c_str() + eq + 1, nullptr, 10);
    if (k == "pids") m.processes = v;
    if (k == "stopped") m.stopped_processes = v;
    if (k == "cpu_ticks") ticks = v;
    if (k == "ticks_per_s" && v > 0) hz = v;
    if (k == "rss_kib") m.rss_bytes = v * 1024;
  }
  m.cpu_ms = static_cast<double>(ticks) * 1000.0 / static_cast<double>(hz);
  std::lock_guard lk(mu_);
  m.bytes_out = bytes_out_;
  m.execs = execs_;
  m.running_execs = pending_.size();
  return m;
}

Result<void> SessionBackend::freeze(bool frozen) {
  auto reply = control(frozen ? sf::Type::freeze : sf::Type::thaw);
  if (!reply) return tl::unexpected(reply.error());
  return {};
}

}  // namespace kavach
