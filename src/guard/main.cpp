// kavach-guard: started by the sandbox in front of the command when the policy protects paths
// inside writable ones (the agent preset's .git/hooks, .envrc, ...). It forks the command, which
// installs the trap filter (seccomp user notification) and hands the listener back before it
// execs; the guard then answers every trapped call (performer.hpp), forwards signals, reaps, and
// leaves with the command's status. With --session it is instead a session's init
// (session_init.hpp). It runs with the command's identity, mounts, Landlock domain
// and policy filter — it can do nothing the command could not, except say no.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "backends/common/fd_passing.hpp"
#include "guard/guard_args.hpp"
#include "guard/path_rules.hpp"
#include "guard/performer.hpp"
#include "guard/session_init.hpp"

extern char** environ;

namespace {

using kavach::guard::GuardArgs;

constexpr int kSignalsForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

// A failure before the command runs: on the status descriptor when the process backend gave one
// (it reports the stage), and on stderr for everyone else.
[[noreturn]] void fail(const GuardArgs& a, int stage, int err, const std::string& what, int code) {
  if (a.status_fd >= 0) {
    const std::int32_t rec[3] = {stage, err, -1};
    ssize_t n;
    do {
      n = ::write(a.status_fd, rec, sizeof rec);
    } while (n < 0 && errno == EINTR);
  }
  std::fprintf(stderr, "kavach-guard: %s%s%s\n", what.c_str(), err != 0 ? ": " : "",
               err != 0 ? std::strerror(err) : "");
  ::_exit(code);
}

bool decode_bpf(const std::string& hex, std::vector<sock_filter>& out) {
  std::vector<unsigned char> bytes;
  bytes.reserve(hex.size() / 2);
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    const int hi = nib(hex[i]);
    const int lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes.push_back(static_cast<unsigned char>(hi << 4 | lo));
  }
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0) return false;
  out.resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return true;
}

// The command's side: trap filter, listener to the guard, exec.
[[noreturn]] void run_command(const GuardArgs& a, const std::vector<sock_filter>& bpf, int sock,
                              const sigset_t& original_mask) {
  ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
  // On a terminal the command gets a process group of its own, made the foreground one: keys
  // like ^C reach it alone (the guard forwards signals; they must not arrive twice).
  if (::isatty(0) == 1) (void)::setpgid(0, 0);
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(bpf.size());
  prog.filter = const_cast<sock_filter*>(bpf.data());
  const long lfd = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (lfd < 0) {
    fail(a, a.status_stage_guard, errno, "installing the protected-path trap filter (seccomp user notification)", 125);
  }
  if (const int e = kavach::common::send_fd(sock, static_cast<int>(lfd)); e != 0) {
    fail(a, a.status_stage_guard, e, "handing the trap listener to the guard", 125);
  }
  ::close(static_cast<int>(lfd));
  ::close(sock);
  if (a.status_fd >= 0) (void)::fcntl(a.status_fd, F_SETFD, FD_CLOEXEC);

  std::vector<char*> argv;
  for (const auto& s : a.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  int first_error = ENOENT;
  if (a.exec_paths.empty()) {
    ::execvp(argv[0], argv.data());
    first_error = errno;
  }
  for (const auto& p : a.exec_paths) {
    ::execve(p.c_str(), argv.data(), environ);
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) continue;
    first_error = e;
    if (e != EACCES) break;
  }
  fail(a, a.status_stage_exec, first_error, "cannot run '" + a.argv.front() + "'",
       first_error == ENOENT ? 127 : 126);
}

[[noreturn]] void leave_like(int status) {
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  const int sig = WTERMSIG(status);
  ::signal(sig, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  ::sigprocmask(SIG_UNBLOCK, &s, nullptr);
  ::kill(::getpid(), sig);
  ::_exit(128 + sig);  // PID 1 of a pid namespace cannot die of its own signal
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--session") return kavach::guard::run_session_init();
  GuardArgs a;
  std::string error;
  if (!kavach::guard::parse_guard_args(argc, argv, a, error)) {
    fail(a, a.status_stage_guard, EINVAL, "bad arguments: " + error, 125);
  }
  std::vector<sock_filter> bpf;
  if (!decode_bpf(a.notify_bpf_hex, bpf) || bpf.size() > BPF_MAXINSNS) {
    fail(a, a.status_stage_guard, EINVAL, "bad --notify-bpf program", 125);
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    fail(a, a.status_stage_guard, errno, "socketpair", 125);
  }
  sigset_t handled;
  sigset_t original;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  for (int s : kSignalsForwarded) sigaddset(&handled, s);
  ::sigprocmask(SIG_BLOCK, &handled, &original);

  const pid_t child = ::fork();
  if (child < 0) fail(a, a.status_stage_guard, errno, "fork", 125);
  if (child == 0) {
    ::close(sv[0]);
    run_command(a, bpf, sv[1], original);
  }
  ::close(sv[1]);
  if (a.status_fd >= 0) ::close(a.status_fd);  // the command's copy reports; EOF = it runs
  if (::isatty(0) == 1) {
    (void)::setpgid(child, child);  // also here: whichever of the two runs first
    (void)::tcsetpgrp(0, child);
  }
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the command cannot read or trace the guard

  const int sfd = ::signalfd(-1, &handled, SFD_CLOEXEC);
  const int listener = kavach::common::receive_fd(sv[0]);
  ::close(sv[0]);
  // The command holds the real stdin/stdout; the guard keeps stderr for its own diagnostics.
  ::close(0);
  ::close(1);

  kavach::guard::Performer performer(listener, kavach::guard::PathRules(a.writable_roots, a.protected_paths));
  bool listening = listener >= 0;
  for (;;) {
    pollfd fds[2] = {{sfd, POLLIN, 0}, {listening ? listener : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      if (!performer.handle_one()) {
        // The guard cannot answer (e.g. a custom policy refuses its ioctl): closing the listener
        // makes every trapped call fail (ENOSYS) instead of waiting forever. Fail closed.
        std::fprintf(stderr, "kavach-guard: cannot receive trapped calls: %s\n", std::strerror(errno));
        ::close(listener);
        listening = false;
      }
    } else if ((fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) {
      listening = false;  // no filtered process is left
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    signalfd_siginfo si{};
    if (::read(sfd, &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
    if (si.ssi_signo != SIGCHLD) {
      (void)::kill(child, static_cast<int>(si.ssi_signo));
      continue;
    }
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(-1, &status, WNOHANG);
      if (r <= 0) break;
      if (r == child) leave_like(status);  // orphans reparented to us (PID 1) are just reaped
    }
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  leave_like(status);
}
