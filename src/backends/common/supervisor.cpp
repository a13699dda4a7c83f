#include "backends/common/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>

#include "backends/common/bounded_buffer.hpp"

namespace kavach::common {
namespace {

using Clock = std::chrono::steady_clock;

#ifndef P_PIDFD
constexpr idtype_t P_PIDFD = static_cast<idtype_t>(3);
#endif

void set_nonblocking(int fd) {
  if (fd < 0) return;
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// SIGPIPE for a write to a pipe whose reader died must not kill the host process. It is
// generated for the writing thread, so blocking it here and consuming it afterwards keeps the
// process-wide disposition untouched (other threads and the embedding program are unaffected).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SigpipeGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1 &&
        sigismember(&old_, SIGPIPE) == 0) {
      timespec zero{0, 0};
      (void)sigtimedwait(&set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_{};
};

// Reads what is available (bounded per call so the deadline is checked regularly), into the
// bounded capture and, while the consumer wants it, to the live sink. Returns false when the
// stream reached EOF or failed (a PTY master answers EIO once the terminal's last user is gone).
// `delivered`: set when the sink got bytes; `stop`: set when the sink asked to stop.
bool drain(UniqueFd& fd, BoundedBuffer& buf, OutputSink* sink, OutputStream which, bool& delivered,
           bool& stop) {
  std::array<char, 65536> chunk{};
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n > 0) {
      buf.append(chunk.data(), static_cast<std::size_t>(n));
      if (sink != nullptr && !stop) {
        delivered = true;
        if (!sink->on_output(which, std::string_view(chunk.data(), static_cast<std::size_t>(n)))) stop = true;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fd.reset();  // EOF or error
    return false;
  }
  return true;
}

// The stdin relay: a caller's descriptor (a stream) or an in-memory buffer, into the command's
// stdin; one buffer at most in flight, so a slow reader slows the source down (back-pressure).
class StdinRelay {
 public:
  StdinRelay(int source, std::string_view data) : source_(source), data_(data) {}
  [[nodiscard]] bool wants_source() const { return source_ >= 0 && pending().empty(); }
  [[nodiscard]] bool has_pending() const { return !pending().empty(); }
  [[nodiscard]] bool done() const { return source_ < 0 && pending().empty(); }
  // Reads one buffer from the source (after poll said it is readable).
  void fill() {
    const ssize_t n = ::read(source_, buf_.data(), buf_.size());
    if (n > 0) {
      data_ = std::string_view(buf_.data(), static_cast<std::size_t>(n));
      off_ = 0;
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      source_ = -1;  // EOF (or unreadable): the command sees EOF once the rest is written
    }
  }
  // Writes what it can; false when the command's end is gone (EPIPE) or failed.
  bool flush(int to) {
    const std::string_view rest = pending();
    const ssize_t w = ::write(to, rest.data(), std::min<std::size_t>(rest.size(), 65536));
    if (w > 0) off_ += static_cast<std::size_t>(w);
    return !(w < 0 && errno != EAGAIN && errno != EINTR);
  }

 private:
  [[nodiscard]] std::string_view pending() const { return data_.substr(std::min(off_, data_.size())); }
  int source_;
  std::string_view data_;
  std::size_t off_ = 0;
  std::array<char, 65536> buf_{};
};

int ms_until(Clock::time_point now, Clock::time_point t) {
  if (t <= now) return 0;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count() + 1;
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

}  // namespace

Result<SuperviseOutcome> supervise(SuperviseRequest req) {
  SigpipeGuard sigpipe_guard;
  SuperviseOutcome out;
  BoundedBuffer out_buf(req.output_cap);
  BoundedBuffer err_buf(req.output_cap);
  set_nonblocking(req.stdout_fd.get());
  set_nonblocking(req.stderr_fd.get());
  set_nonblocking(req.stdin_fd.get());
  auto relay = std::make_unique<StdinRelay>(req.stdin_source, req.stdin_data);
  if (req.stdin_fd && relay->done()) req.stdin_fd.reset();
  OutputSink* const sink = req.sink;
  bool stop_requested = false;
  bool output_since_idle = false;
  Clock::time_point last_output = Clock::now();
  const auto idle_after = std::chrono::milliseconds(sink != nullptr ? sink->idle_ms() : 0);

  bool exited = false;
  Clock::time_point exited_at{};
  Clock::time_point last_kill{};
  auto kill = [&] {
    if (req.kill_tree) req.kill_tree();
    last_kill = Clock::now();
  };

  const bool cpu_budget = req.cpu_usage_usec && req.cpu_limit_usec > 0;
  Clock::time_point next_cpu_check = Clock::now();
  // OutputSink::still_wanted: a consumer can end the run without output to react to.
  constexpr auto kWantedPoll = std::chrono::milliseconds(200);
  Clock::time_point next_wanted = Clock::now() + kWantedPoll;
  for (;;) {
    auto now = Clock::now();
    if (!exited && !out.timed_out && !out.cpu_limit_hit && now >= req.deadline) {
      out.timed_out = true;
      kill();
    }
    if (cpu_budget && !exited && !out.timed_out && !out.cpu_limit_hit && now >= next_cpu_check) {
      if (auto used = req.cpu_usage_usec()) {
        out.cpu_used_usec = used;
        if (*used >= req.cpu_limit_usec) {
          out.cpu_limit_hit = true;
          kill();
        }
      }
      now = Clock::now();
      next_cpu_check = now + req.cpu_poll;
    }
    if (exited) {
      if (!req.stdout_fd && !req.stderr_fd) break;
      if (now >= exited_at + req.drain_grace) {
        out.output_cut = true;
        break;
      }
    }
    if (sink != nullptr && !exited && !stop_requested && now >= next_wanted) {
      if (!sink->still_wanted()) stop_requested = true;
      next_wanted = now + kWantedPoll;
    }
    if (stop_requested && !out.stopped_by_consumer) {
      out.stopped_by_consumer = true;
      kill();
    }
    if (sink != nullptr && output_since_idle && now >= last_output + idle_after) {
      sink->on_idle();
      output_since_idle = false;
    }
    int timeout_ms = -1;
    if (exited) {
      timeout_ms = ms_until(now, exited_at + req.drain_grace);
    } else if (out.timed_out || out.cpu_limit_hit) {
      // Killed; the exit is imminent. Repeat the kill now and then in case something raced it.
      if (now >= last_kill + std::chrono::seconds(1)) kill();
      timeout_ms = 100;
    } else {
      timeout_ms = ms_until(now, req.deadline);
      if (cpu_budget) timeout_ms = std::min(timeout_ms, ms_until(now, next_cpu_check));
    }
    if (sink != nullptr && !exited && !stop_requested) {
      const int wanted_ms = ms_until(now, next_wanted);
      timeout_ms = timeout_ms < 0 ? wanted_ms : std::min(timeout_ms, wanted_ms);
    }
    if (sink != nullptr && output_since_idle) {
      const int idle_ms = ms_until(now, last_output + idle_after);
      timeout_ms = timeout_ms < 0 ? idle_ms : std::min(timeout_ms, idle_ms);
    }

    std::array<pollfd, 6> fds{};
    nfds_t n = 0;
    int idx_pid = -1;
    int idx_out = -1;
    int idx_err = -1;
    int idx_in = -1;
    int idx_src = -1;
    int idx_resize = -1;
    if (!exited) {
      idx_pid = static_cast<int>(n);
      fds[n++] = {req.pidfd, POLLIN, 0};
    }
    if (req.stdout_fd) {
      idx_out = static_cast<int>(n);
      fds[n++] = {req.stdout_fd.get(), POLLIN, 0};
    }
    if (req.stderr_fd) {
      idx_err = static_cast<int>(n);
      fds[n++] = {req.stderr_fd.get(), POLLIN, 0};
    }
    if (req.stdin_fd && !exited) {
      if (relay->has_pending()) {
        idx_in = static_cast<int>(n);
        fds[n++] = {req.stdin_fd.get(), POLLOUT, 0};
      } else if (relay->wants_source()) {
        idx_src = static_cast<int>(n);
        fds[n++] = {req.stdin_source, POLLIN, 0};
      }
    }
    if (req.resize_fd >= 0 && !exited) {
      idx_resize = static_cast<int>(n);
      fds[n++] = {req.resize_fd, POLLIN, 0};
    }
    const int rc = ::poll(fds.data(), n, timeout_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      kill();
      return fail(ErrorCode::internal, std::string("supervision poll failed: ") + std::strerror(e));
    }
    bool delivered = false;
    if (idx_out >= 0 && fds[idx_out].revents != 0) {
      drain(req.stdout_fd, out_buf, sink, OutputStream::stdout_stream, delivered, stop_requested);
    }
    if (idx_err >= 0 && fds[idx_err].revents != 0) {
      drain(req.stderr_fd, err_buf, sink, OutputStream::stderr_stream, delivered, stop_requested);
    }
    if (delivered) {
      output_since_idle = true;
      last_output = Clock::now();
    }
    if (idx_src >= 0 && fds[idx_src].revents != 0) relay->fill();
    if (idx_in >= 0 && fds[idx_in].revents != 0) {
      if ((fds[idx_in].revents & (POLLERR | POLLHUP)) != 0 || !relay->flush(req.stdin_fd.get())) {
        req.stdin_fd.reset();  // the reader went away (EPIPE)
      }
    }
    if (req.stdin_fd && relay->done()) req.stdin_fd.reset();  // EOF for the reader
    if (idx_resize >= 0 && fds[idx_resize].revents != 0) {
      char drainbuf[64];
      (void)!::read(req.resize_fd, drainbuf, sizeof drainbuf);  // one read: it may block after
      if (req.on_resize) req.on_resize();
    }
    if (idx_pid >= 0 && (fds[idx_pid].revents & POLLIN) != 0) {
      siginfo_t info{};
      // Raw waitid: the glibc wrapper has no rusage argument.
      const long w = ::syscall(SYS_waitid, P_PIDFD, req.pidfd, &info, WEXITED | __WALL, &out.usage);
      if (w < 0 && errno != EINTR) {
        const int e = errno;
        kill();
        return fail(ErrorCode::internal, std::string("waitid on pidfd failed: ") + std::strerror(e));
      }
      if (w == 0) {
        exited = true;
        exited_at = Clock::now();
        out.wait_code = info.si_code;
        out.wait_status = info.si_status;
        req.stdin_fd.reset();
        kill();  // sweep anything that outlived the supervised process
      }
    }
  }
  if (sink != nullptr) sink->on_end();
  out.stdout_truncated = out_buf.truncated();
  out.stderr_truncated = err_buf.truncated();
  out.stdout_total = out_buf.total_bytes();
  out.stderr_total = err_buf.total_bytes();
  out.stdout_data = out_buf.take();
  out.stderr_data = err_buf.take();
  return out;
}

}  // namespace kavach::common
