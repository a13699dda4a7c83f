// Framework: expectations, verdicts, JSON lines, the per-probe forked child with a timeout.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "probe.hpp"
#include "util.hpp"

namespace probe {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::pass: return "PASS";
    case Verdict::fail: return "FAIL";
    case Verdict::skip: return "SKIP";
    case Verdict::info: return "INFO";
  }
  return "INFO";
}

Outcome pass(std::string detail, int err) { return {Verdict::pass, err, std::move(detail)}; }
Outcome fail(std::string detail, int err) { return {Verdict::fail, err, std::move(detail)}; }
Outcome skip(std::string reason) { return {Verdict::skip, 0, std::move(reason)}; }
Outcome info(std::string detail, int err) { return {Verdict::info, err, std::move(detail)}; }

bool Expect::has(std::string_view key) const { return values_.find(key) != values_.end(); }

std::string Expect::str(std::string_view key, std::string_view fallback) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string(fallback) : it->second;
}

std::optional<long long> Expect::num(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(it->second.c_str(), &end, 0);
  if (errno != 0 || end == it->second.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::vector<std::string> Expect::list(std::string_view key) const { return split(str(key), ','); }

bool Expect::feature(std::string_view name) const {
  for (const auto& f : list("features")) {
    if (f == name) return true;
  }
  return false;
}

const std::vector<ExpectKey>& expect_keys() {
  static const std::vector<ExpectKey> keys = {
      {"canary-file", "host path of the secret canary file (outside the policy)"},
      {"canary-env", "name of the canary environment variable set in the launcher"},
      {"canary-fd", "number of the canary fd the launcher holds without O_CLOEXEC"},
      {"canary-handle", "file handle of the canary file: <type>:<hex bytes> (shocker, F08)"},
      {"launcher-pid", "pid of the launcher (host pid namespace)"},
      {"launcher-sid", "session id of the launcher"},
      {"declared-fds", "fds besides 0-2 the run declared to pass"},
      {"victim-pid", "pid of a disposable host process outside the sandbox"},
      {"host-hostname", "hostname of the host"},
      {"host-ns", "host namespace inodes: mnt=N,net=N,... "},
      {"abstract", "name of the host's listening abstract unix socket (without the leading NUL)"},
      {"fs-socket", "host path of a listening unix socket outside the policy"},
      {"tcp-port", "port of the host's loopback TCP listener on 127.0.0.1"},
      {"host-ip", "a non-loopback address of the host"},
      {"resolver", "IPv4 address of the host's DNS resolver"},
      {"key-serial", "serial of the canary key in the launcher's session keyring"},
      {"launcher-keyring", "serial of the launcher's session keyring"},
      {"sysv-key", "SysV IPC key of the host's shm/msg/sem canaries"},
      {"mq-name", "name of the host's POSIX message queue canary (with leading /)"},
      {"shm-canary", "file name of the canary in the host's /dev/shm"},
      {"workdir", "writable work dir inside the sandbox (positive controls, scratch files)"},
      {"protected", "read-only path inside the work dir (policy protected path), holding a file"},
      {"protected-names", "the policy's relative protected paths (protected at every depth below writable paths)"},
      {"env-allow", "names the sandbox environment may contain"},
      {"rlimits", "expected limits: nofile=S:H,nproc=S:H,... (inf for unlimited)"},
      {"capbnd", "expected capability bounding set (hex, default 0)"},
      {"setuid-bin", "harness-planted setuid-root copy of this probe"},
      {"filecap-bin", "harness-planted copy of this probe with file capabilities"},
      {"token", "unique token the harness uses to find processes left behind"},
      {"sleeper-seconds", "how long a planted background process lives at most"},
      {"pids-max", "expected pids limit of the sandbox"},
      {"mem-limit", "expected memory limit in bytes"},
      {"tmpfs-limit", "expected size of the sandbox's /tmp and /dev/shm in bytes"},
      {"fsize-limit", "expected RLIMIT_FSIZE in bytes"},
      {"nofile-limit", "expected RLIMIT_NOFILE"},
      {"cpu-quota", "expected CPU quota in cores"},
      {"flood-bytes", "bytes R09 writes to stderr"},
      {"features", "host features measured outside: ia32,x32,vsock,landlock=N,..."},
      {"landlock-min-abi", "Landlock ABI the policy requires"},
      {"ll-denied", "path visible in the sandbox that Landlock must deny reading"},
      {"scratch", "host scratch root of the harness (must not appear inside)"},
      {"shared", "host paths the policy shares on purpose (may appear in mountinfo)"},
      {"unotify", "1 if a supervisor uses seccomp user notification"},
      {"pty", "1 if the run asked for a pseudo terminal"},
      {"self", "path of this probe binary inside the sandbox"},
      {"memfd-exec", "1 if the policy allows executing memfds (C09 expectation)"},
      {"net-mode", "network mode of the policy: off, loopback, allowlist, host"},
      {"landlock-tcp", "on: the policy installs Landlock TCP port rules; off: it does not (network.hpp)"},
  };
  return keys;
}

std::string to_json_line(std::string_view id, const Outcome& o, double ms) {
  auto esc = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out;
  };
  char msbuf[32];
  std::snprintf(msbuf, sizeof msbuf, "%.1f", ms);
  return "{\"id\":\"" + esc(id) + "\",\"verdict\":\"" + std::string(to_string(o.verdict)) +
         "\",\"errno\":\"" + errname(o.err) + "\",\"detail\":\"" + esc(o.detail) +
         "\",\"ms\":" + msbuf + "}\n";
}

namespace {
std::vector<int>& fd_table() {
  static std::vector<int> fds;
  return fds;
}
}  // namespace

void snapshot_startup_fds() {
  // fcntl only: opening /proc/self/fd here would itself create an fd.
  rlimit rl{};
  int max = 4096;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) max = static_cast<int>(rl.rlim_cur);
  for (int fd = 0; fd < max; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) fd_table().push_back(fd);
  }
}

const std::vector<int>& startup_fds() { return fd_table(); }

std::string self_path(const Expect& e) {
  if (e.has("self")) return e.str("self");
  std::string p = readlink_str("/proc/self/exe");
  return p.empty() ? "/proc/self/exe" : p;
}

Outcome run_isolated(const Probe& p, const Expect& e) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) return fail("pipe2 failed", errno);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return fail("fork failed", errno);
  if (pid == 0) {
    close(pfd[0]);
    if (p.own_session) setsid();  // own session + group: no ctty, whole group killable
    else setpgid(0, 0);           // keep the session (ctty checks), still a killable group
    Outcome o = p.fn(e);
    std::string msg = std::string(to_string(o.verdict)) + "\n" + std::to_string(o.err) + "\n" + o.detail;
    // Length-prefixed: processes the check leaves behind may hold the pipe open, so the parent
    // cannot wait for EOF.
    (void)write_all(pfd[1], std::to_string(msg.size()) + "\n" + msg);
    _exit(0);
  }
  close(pfd[1]);
  std::string data;
  bool timed_out = false;
  bool complete = false;
  double deadline = now_ms() + p.timeout_ms;
  for (;;) {
    int left = static_cast<int>(deadline - now_ms());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pl{pfd[0], POLLIN, 0};
    int r = poll(&pl, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(pfd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    auto nl = data.find('\n');
    if (nl != std::string::npos && data.size() - nl - 1 >= std::strtoull(data.c_str(), nullptr, 10)) {
      data = data.substr(nl + 1);
      complete = true;
      break;
    }
  }
  close(pfd[0]);
  // Whatever the probe left in its process group goes now (fork bombs, sleepers it did not
  // detach on purpose).
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Reap orphans re-parented to us (we are a child subreaper).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  if (timed_out) return fail("probe timed out after " + std::to_string(p.timeout_ms) + " ms");
  if (!complete) data.clear();
  auto nl1 = data.find('\n');
  auto nl2 = nl1 == std::string::npos ? std::string::npos : data.find('\n', nl1 + 1);
  if (nl2 == std::string::npos) {
    if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      return fail(std::string("probe child killed by SIG") + (sigabbrev_np(sig) ? sigabbrev_np(sig) : "?"));
    }
    return fail("probe child exited without a result (status " + std::to_string(status) + ")");
  }
  Outcome o;
  std::string v = data.substr(0, nl1);
  o.verdict = v == "PASS" ? Verdict::pass : v == "FAIL" ? Verdict::fail : v == "SKIP" ? Verdict::skip : Verdict::info;
  o.err = std::atoi(data.substr(nl1 + 1, nl2 - nl1 - 1).c_str());
  o.detail = data.substr(nl2 + 1);
  return o;
}

const std::vector<Probe>& all_probes() {
  static const std::vector<Probe> probes = [] {
    std::vector<Probe> v;
    add_group_h(v);
    add_group_p(v);
    add_group_n(v);
    add_group_f(v);
    add_group_s(v);
    add_group_c(v);
    add_group_l(v);
    add_group_i(v);
    add_group_w(v);
    add_group_d(v);
    add_group_r(v);
    add_group_t(v);
    return v;
  }();
  return probes;
}

}  // namespace probe
