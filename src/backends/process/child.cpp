// The containment function, run by the cloned child (PID 1 of the sandbox's pid namespace).
// Order: release -> ids -> cgroup ns -> mounts + pivot_root -> hostname -> network -> workdir
// -> rlimits -> landlock rules -> capabilities + no_new_privs -> landlock -> fork the command;
// the command process loads seccomp (last) and execs (a warm start: it waits for its command
// after seccomp). PID 1 then reaps and forwards signals.
//
// ASYNC-SIGNAL-SAFE ONLY from here to execve: the parent may have had other threads holding
// locks (malloc, stdio) when it cloned. Raw syscalls, no allocation, no glibc set*id wrappers
// (those broadcast to threads that do not exist in the child), no glibc fork (atfork + locks).
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "backends/common/egress_netns.hpp"
#include "backends/common/fd_passing.hpp"
#include "backends/process/child_plan.hpp"
#include "backends/process/mount_exec.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace kavach::process {

std::string_view stage_name(ChildStage s) {
  switch (s) {
    case ChildStage::release: return "release";
    case ChildStage::ids: return "ids";
    case ChildStage::cgroup_ns: return "cgroup_ns";
    case ChildStage::mounts: return "mounts";
    case ChildStage::hostname: return "hostname";
    case ChildStage::network: return "network";
    case ChildStage::workdir: return "workdir";
    case ChildStage::terminal: return "terminal";
    case ChildStage::rlimits: return "rlimits";
    case ChildStage::landlock_rules: return "landlock_rules";
    case ChildStage::capabilities: return "capabilities";
    case ChildStage::landlock: return "landlock";
    case ChildStage::command: return "command";
    case ChildStage::fork: return "fork";
    case ChildStage::seccomp: return "seccomp";
    case ChildStage::exec: return "exec";
    case ChildStage::cgroup_join: return "cgroup_join";
    case ChildStage::guard: return "guard";
    case ChildStage::count: break;
  }
  return "unknown";
}

namespace {

constexpr int kSetupFailedExit = 125;

volatile sig_atomic_t g_command_pid = 0;
// The PTY slave PID 1 opened (terminal runs): the command process, which shares PID 1's memory
// (CLONE_VM), takes it as its stdio.
int g_terminal_slave = -1;


void mark(const ChildPlan& p, ChildStage s) noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
                  static_cast<std::uint64_t>(ts.tv_nsec);
  __atomic_store_n(&p.shared->stage_done_ns[static_cast<std::size_t>(s)], ns, __ATOMIC_RELEASE);
}

[[noreturn]] void die(const ChildPlan& p, ChildStage s, int err, int detail = -1,
                      int exit_code = kSetupFailedExit) noexcept {
  StatusRecord r;
  r.stage = static_cast<std::int32_t>(s);
  r.error = err;
  r.detail = detail;
  ssize_t n;
  do {
    n = ::write(p.status_fd, &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  ::_exit(exit_code);
}

// Closes every descriptor except the sorted `keep` list.
void close_all_but(const int* keep, std::size_t count) noexcept {
  unsigned next = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto k = static_cast<unsigned>(keep[i]);
    if (k > next) ::syscall(SYS_close_range, next, k - 1, 0);
    next = k + 1;
  }
  ::syscall(SYS_close_range, next, ~0U, 0);
}

void reset_signal_dispositions() noexcept {
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    (void)sigaction(sig, &sa, nullptr);
  }
}

void forward_signal(int sig) noexcept {
  const pid_t pid = g_command_pid;
  if (pid > 0) (void)::kill(pid, sig);
}

int raw_setids(const ChildPlan& p) noexcept {
  if (::syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) return errno;
  if (p.drop_supplementary_groups && ::syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
  if (p.uid == 0) return ::syscall(SYS_setresuid, 0, 0, 0) != 0 ? errno : 0;
  // A non-zero uid would clear the capabilities we still need for the mounts: keep the
  // permitted set across the switch and raise the effective set again.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno;
  if (::syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) return errno;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) return errno;
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (::syscall(SYS_capset, &hdr, data) != 0) return errno;
  return 0;
}

// A PTY of the sandbox's own devpts (mounted newinstance at /dev/pts): the master goes to the
// parent, the slave (opened by descriptor, no path lookup) stays for the command.
int open_terminal(const ChildPlan& p) noexcept {
  const int master = ::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return errno;
  int err = 0;
  int unlock = 0;
  winsize ws{};
  ws.ws_row = p.terminal_rows;
  ws.ws_col = p.terminal_cols;
  if (::ioctl(master, TIOCSPTLCK, &unlock) != 0 || ::ioctl(master, TIOCSWINSZ, &ws) != 0) err = errno;
  int slave = -1;
  if (err == 0) {
    slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) err = errno;
  }
  if (err == 0) err = common::send_fd(p.terminal_sock, master);
  ::close(master);
  ::close(p.terminal_sock);
  if (err != 0) {
    if (slave >= 0) ::close(slave);
    return err;
  }
  g_terminal_slave = slave;
  return 0;
}

int add_landlock_rules(const ChildPlan& p) noexcept {
  for (std::size_t i = 0; i < p.landlock_rule_count; ++i) {
    const ChildLandlockRule& r = p.landlock_rules[i];
    const int fd = ::open(r.path, O_PATH | O_CLOEXEC);
    if (fd < 0) return errno;
    landlock_path_beneath_attr attr{};
    attr.allowed_access = r.access;
    attr.parent_fd = fd;
    const long rc = ::syscall(SYS_landlock_add_rule, p.landlock->ruleset_fd,
                              LANDLOCK_RULE_PATH_BENEATH, &attr, 0);
    const int e = rc != 0 ? errno : 0;
    ::close(fd);
    if (e != 0) return e;
  }
  return 0;
}

// The command process, part 1: own session, clean signals, stdio, descriptors, seccomp.
void prepare_command(const ChildPlan& p) noexcept {
  (void)::setsid();
  sigset_t none;
  sigemptyset(&none);
  (void)sigprocmask(SIG_SETMASK, &none, nullptr);

  // Lift the three stdio descriptors above 2 first so no dup2 clobbers another one. A terminal
  // run takes the PTY slave for all three, and makes it its controlling terminal.
  const int tty = g_terminal_slave;
  const int in = ::fcntl(tty >= 0 ? tty : p.stdin_fd, F_DUPFD_CLOEXEC, 3);
  const int out = ::fcntl(tty >= 0 ? tty : p.stdout_fd, F_DUPFD_CLOEXEC, 3);
  const int err = ::fcntl(tty >= 0 ? tty : p.stderr_fd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
      ::dup2(err, 2) < 0) {
    die(p, ChildStage::fork, errno);
  }
  if (tty >= 0 && ::ioctl(0, TIOCSCTTY, 0) != 0) die(p, ChildStage::terminal, errno);
  // Everything above stdio closes at execve (the status pipe must stay open until then).
  if (p.close_other_fds && ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 65536; ++fd) (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (p.status_fd_to_guard && ::fcntl(p.status_fd, F_SETFD, 0) != 0) die(p, ChildStage::fork, errno);

  if (p.seccomp != nullptr) {
    if (const int rc = apply_seccomp(*p.seccomp); rc != 0) die(p, ChildStage::seccomp, -rc);
  }
  mark(p, ChildStage::seccomp);
}

// Part 2: execve, searching the candidates like execvp. Under the filter from here on.
[[noreturn]] void exec_command(const ChildPlan& p, char* const* argv, char* const* envp,
                               const char* const* paths, std::size_t path_count) noexcept {
  int first_error = ENOENT;
  for (std::size_t i = 0; i < path_count; ++i) {
    ::execve(paths[i], argv, envp);
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) continue;
    first_error = e;
    if (e != EACCES) break;  // EACCES: keep searching like execvp, report it if nothing runs
  }
  die(p, ChildStage::exec, first_error, -1, first_error == ENOENT ? 127 : 126);
}

// Cold start: the command is in the plan.
int command_entry(void* arg) {
  const ChildPlan& p = *static_cast<const ChildPlan*>(arg);
  mark(p, ChildStage::fork);
  prepare_command(p);
  exec_command(p, p.argv, p.envp, p.exec_paths, p.exec_path_count);
}

// Warm start: set up to and including the seccomp filter, report ready, then sleep until the
// parent hands over the command ('R', CommandArea) or discards the sandbox (EOF). Only read,
// write and execve run under the filter before execve; the zero-byte read checks at set-up
// time that the filter lets the hand-over through (else the pool reports the error).
int warm_command_entry(void* arg) {
  const ChildPlan& p = *static_cast<const ChildPlan*>(arg);
  mark(p, ChildStage::fork);
  prepare_command(p);
  char run = 0;
  if (::read(p.release_fd, &run, 0) != 0) die(p, ChildStage::command, errno);
  StatusRecord ready;
  ready.stage = kReadyRecord;
  ready.error = 0;
  ssize_t n;
  do {
    n = ::write(p.status_fd, &ready, sizeof ready);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof ready)) ::_exit(kSetupFailedExit);
  do {
    n = ::read(p.release_fd, &run, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || run != kReleaseRun) ::_exit(kSetupFailedExit);
  mark(p, ChildStage::command);
  const CommandArea* a = p.command_area;
  exec_command(p, a->argv, a->envp, a->exec_paths, a->exec_path_count);
}

// PID 1: reap every child, forward termination signals to the command, report its status.
[[noreturn]] void run_init(const ChildPlan& p, pid_t command) noexcept {
  g_command_pid = command;
  p.shared->command_pid = command;
  // The command holds the real stdio; PID 1 keeps none so EOF follows the command tree.
  ::close(p.stdin_fd);
  ::close(p.stdout_fd);
  ::close(p.stderr_fd);
  if (g_terminal_slave >= 0) ::close(g_terminal_slave);

  struct sigaction sa {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT}) {
    (void)sigaction(sig, &sa, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  (void)sigprocmask(SIG_SETMASK, &none, nullptr);

  // The command exec'd (or died trying) before clone returned: our copy of the status pipe
  // is the last writer, and closing it tells the parent.
  ::close(p.status_fd);

  for (;;) {
    int status = 0;
    const pid_t r = ::wait4(-1, &status, 0, nullptr);
    if (r < 0) {
      if (errno == EINTR) continue;
      ::_exit(kSetupFailedExit);  // ECHILD before the command was seen: cannot happen
    }
    if (r == command) {
      timespec ts{};
      clock_gettime(CLOCK_MONOTONIC, &ts);
      p.shared->command_reaped_ns = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
                                    static_cast<std::uint64_t>(ts.tv_nsec);
      p.shared->command_wstatus = status;
      __atomic_store_n(&p.shared->command_status_valid, 1, __ATOMIC_RELEASE);
      // Leaving ends the pid namespace: the kernel kills whatever the command left behind.
      ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

}  // namespace

void child_main(const ChildPlan& p) noexcept {
  if (p.close_other_fds) close_all_but(p.keep_fds, p.keep_count);
  reset_signal_dispositions();
  (void)::prctl(PR_SET_NAME, "kavach-init", 0, 0, 0);
  if (p.arg_area != nullptr && p.arg_area_len > 0) {
    // /proc/1/cmdline reads this area: show a neutral name instead of the host's argv.
    std::memset(p.arg_area, 0, p.arg_area_len);
    constexpr char kName[] = "kavach-init";
    std::memcpy(p.arg_area, kName, p.arg_area_len < sizeof kName ? p.arg_area_len : sizeof kName);
  }

  // 1. Join the run's v1 cgroups (a thread moving itself: no global lock for the parent to
  // wait on), then wait for the parent: id maps written, v2 cgroup joined. EOF means it gave up
  // or died. A failed join is reported after the release, so the parent's write cannot fail.
  int join_error = 0;
  for (std::size_t i = 0; i < p.cgroup_join_count; ++i) {
    if (join_error == 0 && ::write(p.cgroup_join_fds[i], "0", 1) != 1) join_error = errno;
    ::close(p.cgroup_join_fds[i]);
  }
  char go = 0;
  ssize_t n;
  do {
    n = ::read(p.release_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1 || (go != kReleaseCold && go != kReleaseWarm)) ::_exit(kSetupFailedExit);
  if (join_error != 0) die(p, ChildStage::cgroup_join, join_error);
  const bool warm = go == kReleaseWarm && p.command_area != nullptr;
  mark(p, ChildStage::release);

  // 2. Identity. The parent-death signal must be set after the id change (which clears it);
  // then make sure the parent did not die before it was set (it keeps release open until done).
  if (p.switch_ids) {
    if (const int e = raw_setids(p); e != 0) die(p, ChildStage::ids, e);
  }
  // Kernel keyrings are not namespaced: without a session keyring of its own (new, anonymous,
  // owned by the sandbox user) the sandbox could read and change the caller's keys by serial.
  // ENOSYS: a kernel without keys has nothing to leak.
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
    die(p, ChildStage::ids, errno);
  }
  (void)::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  pollfd pfd{p.release_fd, POLLIN, 0};
  if (::poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP) != 0) ::_exit(kSetupFailedExit);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // the command cannot read PID 1's memory
  (void)::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);  // matters only without a pid namespace
  (void)::setsid();
  mark(p, ChildStage::ids);

  // 3. Cgroup namespace now, so its root is the run's cgroup on every hierarchy (v1 included).
  if (p.unshare_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0) die(p, ChildStage::cgroup_ns, errno);
  mark(p, ChildStage::cgroup_ns);

  // 4. Filesystem view.
  if (p.build_root) {
    int failed_op = -1;
    if (const int e = build_root(p, &failed_op); e != 0) die(p, ChildStage::mounts, e, failed_op);
  }
  mark(p, ChildStage::mounts);

  // 5. Hostname (UTS namespace).
  if (p.hostname != nullptr && ::sethostname(p.hostname, p.hostname_len) != 0) {
    die(p, ChildStage::hostname, errno);
  }
  mark(p, ChildStage::hostname);

  // 6. Network: the namespace starts with `lo` down; loopback and allowlist bring it up.
  if (p.loopback_up) {
    if (const int e = common::bring_loopback_up(); e != 0) die(p, ChildStage::network, e);
  }
  if (p.egress_sock >= 0) {
    // The egress proxy's listener lives in this namespace; the parent serves it.
    const int e = common::send_loopback_listener(p.egress_sock, p.egress_port);
    ::close(p.egress_sock);
    if (e != 0) die(p, ChildStage::network, e);
  }
  mark(p, ChildStage::network);

  if (::chdir(p.workdir) != 0) die(p, ChildStage::workdir, errno);
  mark(p, ChildStage::workdir);

  // 6b. The terminal, before Landlock narrows what PID 1 may open.
  if (p.terminal) {
    if (const int e = open_terminal(p); e != 0) die(p, ChildStage::terminal, e);
  }
  mark(p, ChildStage::terminal);

  // 7. Resource limits (inherited by the command).
  if (p.rlimits != nullptr) {
    if (const int rc = apply_rlimits(*p.rlimits); rc != 0) die(p, ChildStage::rlimits, -rc);
  }
  mark(p, ChildStage::rlimits);

  // 8. Landlock rules for paths that exist only in here, then capabilities and no_new_privs,
  // then the Landlock domain (needs no_new_privs).
  if (p.landlock != nullptr) {
    if (const int e = add_landlock_rules(p); e != 0) die(p, ChildStage::landlock_rules, e);
  }
  mark(p, ChildStage::landlock_rules);
  if (p.capabilities != nullptr) {
    if (const int rc = apply_capabilities(*p.capabilities); rc != 0) {
      die(p, ChildStage::capabilities, -rc);
    }
  }
  mark(p, ChildStage::capabilities);
  if (p.landlock != nullptr) {
    if (const int rc = apply_landlock(*p.landlock); rc != 0) die(p, ChildStage::landlock, -rc);
    ::close(p.landlock->ruleset_fd);
  }
  mark(p, ChildStage::landlock);

  // 9. Start the command like posix_spawn does: CLONE_VM|CLONE_VFORK on its own stack, so
  // nothing is copied and PID 1 resumes only once the command exec'd or died. (The command
  // touches no memory of PID 1 but errno while PID 1 is suspended.)
  // A warm start starts it now with CLONE_VM but without CLONE_VFORK: it waits, filtered, for
  // its command while PID 1 already sits in wait4 and holds no copy of the status pipe, so the
  // hand-over wakes the command process alone; and its execve drops a reference to PID 1's
  // memory instead of tearing down a copy of it. The two share memory only while both sleep
  // (the command process on its own stack; separate signal handler tables and descriptor
  // tables). They share errno: a signal to PID 1 at the wrong moment can blur an error code
  // the command process reports, never what runs.
  long pid;
  if (warm) {
    pid = ::clone(warm_command_entry, p.command_stack + p.command_stack_size, CLONE_VM | SIGCHLD,
                  const_cast<ChildPlan*>(&p));
  } else {
    pid = ::clone(command_entry, p.command_stack + p.command_stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD,
                  const_cast<ChildPlan*>(&p));
  }
  if (pid < 0) die(p, ChildStage::fork, errno);
  run_init(p, static_cast<pid_t>(pid));
}

}  // namespace kavach::process
