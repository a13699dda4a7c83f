#include "runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kavach::probes {

namespace {

double mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stream {
  int fd = -1;
  std::string* out = nullptr;
  bool* truncated = nullptr;
};

}  // namespace

Result<RunOutput> DirectRunner::run(const RunSpec& spec) {
  std::vector<std::string> full = prefix_;
  full.insert(full.end(), spec.argv.begin(), spec.argv.end());
  if (full.empty()) return fail(ErrorCode::invalid_argument, "empty argv");
  std::vector<char*> av;
  for (auto& a : full) av.push_back(a.data());
  av.push_back(nullptr);

  // A child that closes stdin early must give us EPIPE, not kill the harness.
  signal(SIGPIPE, SIG_IGN);
  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) {
    return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno));
  }
  int pty_master = -1, pty_slave = -1;
  if (spec.controlling_tty && openpty(&pty_master, &pty_slave, nullptr, nullptr, nullptr) != 0) {
    return fail(ErrorCode::io_error, std::string("openpty: ") + std::strerror(errno));
  }
  const char* cwd = cwd_.empty() ? nullptr : cwd_.c_str();
  double t0 = mono_ms();
  pid_t pid = fork();
  if (pid < 0) return fail(ErrorCode::io_error, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child of a possibly multi-threaded harness: only async-signal-safe calls until execvp.
    if (spec.controlling_tty) {
      setsid();
      ioctl(pty_slave, TIOCSCTTY, 0);
      dup2(pty_slave, STDIN_FILENO);
    } else {
      dup2(in[0], STDIN_FILENO);
    }
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    signal(SIGPIPE, SIG_DFL);
    if (cwd != nullptr && chdir(cwd) != 0) _exit(126);
    execvp(av[0], av.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  close(in[0]);
  if (pty_slave >= 0) close(pty_slave);

  RunOutput r;
  // stdin: written non-blocking as the child consumes it; a child that never reads cannot
  // block us (slow-consumer probe).
  std::string input = spec.stdin_data.value_or("");
  std::size_t in_off = 0;
  int in_fd = in[1];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  Stream streams[2] = {{out[0], &r.stdout_data, &r.stdout_truncated},
                       {err[0], &r.stderr_data, &r.stderr_truncated}};
  for (auto& s : streams) fcntl(s.fd, F_SETFL, O_NONBLOCK);
  bool exited = false;
  int status = 0;
  double exit_at = 0;
  const double deadline = t0 + static_cast<double>(spec.timeout.count());
  for (;;) {
    if (!exited) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        exit_at = mono_ms();
      }
    }
    double now = mono_ms();
    bool open_streams = streams[0].fd >= 0 || streams[1].fd >= 0;
    if (exited && (!open_streams || now - exit_at > 200)) break;  // drain grace
    if (!exited && now > deadline) {
      r.timed_out = true;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = true;
      exit_at = mono_ms();
      continue;
    }
    pollfd p[3];
    int n = 0;
    for (auto& s : streams) {
      if (s.fd >= 0) p[n++] = {s.fd, POLLIN, 0};
    }
    if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
    poll(p, static_cast<nfds_t>(n), 20);
    for (auto& s : streams) {
      if (s.fd < 0) continue;
      char buf[65536];
      for (;;) {
        ssize_t k = read(s.fd, buf, sizeof buf);
        if (k > 0) {
          std::size_t room = spec.output_cap > s.out->size() ? spec.output_cap - s.out->size() : 0;
          std::size_t take = std::min(room, static_cast<std::size_t>(k));
          s.out->append(buf, take);
          if (take < static_cast<std::size_t>(k)) *s.truncated = true;  // keep draining, drop
          continue;
        }
        if (k == 0) {
          close(s.fd);
          s.fd = -1;
        }
        break;
      }
    }
    if (in_fd >= 0) {
      ssize_t k = write(in_fd, input.data() + in_off, input.size() - in_off);
      if (k > 0) in_off += static_cast<std::size_t>(k);
      if ((k < 0 && errno == EPIPE) || in_off >= input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (auto& s : streams) {
    if (s.fd >= 0) close(s.fd);
  }
  if (in_fd >= 0) close(in_fd);
  if (pty_master >= 0) close(pty_master);
  r.duration_ms = mono_ms() - t0;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

Result<std::string> capture_command(const std::vector<std::string>& argv) {
  DirectRunner runner(argv.empty() ? "" : argv[0]);
  RunSpec spec;
  spec.argv = argv;
  spec.timeout = std::chrono::milliseconds(5000);
  spec.output_cap = 1u << 20;
  auto r = runner.run(spec);
  if (!r) return tl::unexpected(r.error());
  if (r->exit_code != 0) {
    return fail(ErrorCode::exec_failed, "command failed: " + argv[0], {{"stderr", r->stderr_data.substr(0, 200)}});
  }
  return r->stdout_data;
}

}  // namespace kavach::probes
