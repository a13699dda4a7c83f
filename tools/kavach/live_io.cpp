#include "live_io.hpp"

#include "core/json_bytes.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace kavach::cli {
namespace {

int g_winch_fd = -1;  // the self-pipe's write end (async-signal-safe write in the handler)

void on_winch(int) {
  const int saved = errno;
  if (g_winch_fd >= 0) (void)!::write(g_winch_fd, "w", 1);
  errno = saved;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

StdinSource::~StdinSource() {
  if (owned && fd >= 0) ::close(fd);
}

Result<void> open_stdin(const std::string& spec, bool terminal, StdinSource& out) {
  const bool have_stdin = ::fcntl(STDIN_FILENO, F_GETFD) >= 0;
  if (spec == "none") return {};
  if (spec == "-") {
    if (!have_stdin) return fail(ErrorCode::invalid_argument, "--stdin -: this process has no standard input");
    out.fd = STDIN_FILENO;
    return {};
  }
  if (spec == "auto") {
    if (have_stdin && (terminal || ::isatty(STDIN_FILENO) != 1)) out.fd = STDIN_FILENO;
    return {};
  }
  const int fd = ::open(spec.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    return fail(e == ENOENT ? ErrorCode::path_not_found : ErrorCode::invalid_argument,
                "--stdin " + spec + ": " + std::strerror(e), {{"path", spec}});
  }
  out.fd = fd;
  out.owned = true;
  return {};
}

bool TerminalSink::on_output(OutputStream s, std::string_view bytes) {
  write_all(s == OutputStream::stdout_stream ? STDOUT_FILENO : STDERR_FILENO, bytes);
  return true;
}

void TerminalSink::on_truncated(OutputStream s, std::uint64_t limit_bytes) {
  write_all(STDERR_FILENO, "\nkavach: " + std::string(to_string(s)) + " reached the output limit (" +
                               std::to_string(limit_bytes) +
                               " bytes): the rest is not shown; the command runs on (raise with --output-limit SIZE)\n");
}

void EventSink::on_finding(const gate::Finding& f) {
  emit({{"event", "finding"}, {"finding", gate::to_json(f)}});
}

void EventSink::on_truncated(OutputStream s, std::uint64_t limit_bytes) {
  emit({{"event", "truncated"}, {"stream", std::string(to_string(s))}, {"limit_bytes", limit_bytes}});
}

void EventSink::emit(const nlohmann::json& event) {
  write_all(STDOUT_FILENO, event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

bool EventSink::on_output(OutputStream s, std::string_view bytes) {
  nlohmann::json e = {{"event", std::string(to_string(s))}};
  if (is_valid_utf8(bytes)) {
    e["data"] = std::string(bytes);
  } else {
    e["data_b64"] = base64(bytes);
  }
  emit(e);
  return true;
}

CallerTerminal::~CallerTerminal() {
  if (saved_) (void)::tcsetattr(STDIN_FILENO, TCSADRAIN, &*saved_);
  if (pipe_[0] >= 0) {
    ::signal(SIGWINCH, SIG_DFL);
    g_winch_fd = -1;
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
}

Result<TerminalRequest> CallerTerminal::start() {
  TerminalRequest req;
  winsize ws{};
  for (int fd : {STDIN_FILENO, STDOUT_FILENO}) {
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
      req.size = {ws.ws_row, ws.ws_col};
      req.size_source_fd = fd;
      break;
    }
  }
  if (::isatty(STDIN_FILENO) == 1) {
    termios t{};
    if (::tcgetattr(STDIN_FILENO, &t) != 0) {
      return fail(ErrorCode::io_error, std::string("-t: reading the terminal's mode: ") + std::strerror(errno));
    }
    saved_ = t;
    ::cfmakeraw(&t);
    if (::tcsetattr(STDIN_FILENO, TCSADRAIN, &t) != 0) {
      saved_.reset();
      return fail(ErrorCode::io_error, std::string("-t: raw mode: ") + std::strerror(errno));
    }
  }
  if (req.size_source_fd >= 0 && ::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) == 0) {
    g_winch_fd = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = on_winch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    (void)::sigaction(SIGWINCH, &sa, nullptr);
    req.resize_fd = pipe_[0];
  }
  return req;
}

}  // namespace kavach::cli
