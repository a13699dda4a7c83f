// H — launcher hygiene: what the launcher hands to the sandboxed process.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "probe.hpp"
#include "util.hpp"

extern char** environ;

namespace probe {

pid_t spawn_detached_sleeper(const Expect& e, const std::string& suffix, bool stopped);

namespace {

Outcome h01_fd_leak(const Expect& e) {
  std::vector<long long> declared;
  for (const auto& d : e.list("declared-fds")) declared.push_back(std::atoll(d.c_str()));
  long long canary = e.num("canary-fd").value_or(-1);
  std::string extra;
  bool canary_seen = false;
  for (int fd : startup_fds()) {
    if (fd <= 2) continue;
    if (std::find(declared.begin(), declared.end(), fd) != declared.end()) continue;
    std::string target = readlink_str("/proc/self/fd/" + std::to_string(fd));
    extra += " fd" + std::to_string(fd) + "->" + (target.empty() ? "?" : target);
    if (fd == canary) canary_seen = true;
  }
  if (canary_seen) return fail("canary fd " + std::to_string(canary) + " inherited;" + extra);
  if (!extra.empty()) return fail("undeclared fds open at start:" + extra);
  return pass("only fds 0-2" + std::string(declared.empty() ? "" : " and declared ones") + " open at start");
}

Outcome h02_env_scrub(const Expect& e) {
  if (!e.has("canary-env")) return skip("harness gave no --canary-env");
  std::string canary = e.str("canary-env");
  auto allow = e.list("env-allow");
  bool check_allow = e.has("env-allow");
  std::string unexpected;
  std::string names;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
    std::string kv = *p;
    std::string name = kv.substr(0, kv.find('='));
    names += (names.empty() ? "" : ",") + name;
    if (name == canary) return fail("canary variable present: " + printable(kv, 120));
    if (check_allow && std::find(allow.begin(), allow.end(), name) == allow.end()) {
      unexpected += " " + name;
    }
  }
  if (!unexpected.empty()) return fail("variables outside the allow-list:" + unexpected);
  return pass("environment = {" + names + "}");
}

Outcome h03_no_ctty(const Expect& e) {
  std::string why;
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int err = errno;
  if (fd >= 0) {
    close(fd);
    why += " /dev/tty opens (controlling terminal present);";
  } else if (err != ENXIO && err != ENOENT && err != EIO) {
    why += " open(/dev/tty) -> " + errname(err) + " (expected ENXIO);";
  }
  if (e.str("pty") != "1") {
    for (int i = 0; i <= 2; ++i) {
      if (isatty(i)) why += " fd" + std::to_string(i) + " is a tty;";
    }
  }
  pid_t sid = getsid(0);
  if (sid == 0) why += " session leader outside our pid namespace (launcher's session);";
  auto ls = e.num("launcher-sid");
  if (ls && sid == *ls) why += " same session as the launcher;";
  // EIO (gVisor's answer without a controlling tty; Linux's for a hung-up one) only counts
  // when a session of our own is proven: a fresh session has no controlling tty to hang up.
  if (fd < 0 && err == EIO && (!ls || sid == 0 || sid == *ls)) {
    why += " open(/dev/tty) -> EIO (expected ENXIO; EIO is accepted only in a proven own session);";
  }
  if (!why.empty()) return fail(trim(why), fd >= 0 ? 0 : err);
  return pass("no controlling tty (" + errname(err) + "), own session sid=" + std::to_string(sid), err);
}

// TIOCSTI/TIOCLINUX must never reach the tty layer: a bad fd must give EPERM (filtered), not EBADF.
Outcome tty_ioctl_probe(unsigned long req, const char* name) {
  struct Case {
    std::string label;
    int fd;
    unsigned long req;
  };
  std::vector<Case> cases = {{"fd -1", -1, req}, {"fd -1 +high bits", -1, req | (1UL << 32)}};
  for (int fd = 0; fd <= 2; ++fd) {
    if (isatty(fd)) {
      cases.push_back({"tty fd" + std::to_string(fd), fd, req});
      cases.push_back({"tty fd" + std::to_string(fd) + " +high bits", fd, req | (1UL << 32)});
    }
  }
  std::string got;
  bool reached = false;
  int decisive = 0;
  for (const auto& c : cases) {
    // Bad pointer (1): even on a real tty the kernel stops at EFAULT before injecting anything.
    Attempt a = attempt([&] { return syscall(SYS_ioctl, c.fd, c.req, 1L); });
    got += " " + c.label + ":" + a.describe() + ";";
    if (!a.denied()) {
      reached = true;
      decisive = a.err;
    } else if (decisive == 0) {
      decisive = a.err;
    }
  }
  if (reached) return fail(std::string(name) + " reached the kernel:" + got, decisive);
  return pass(std::string(name) + " filtered:" + got, decisive);
}

Outcome h04_tiocsti(const Expect&) { return tty_ioctl_probe(TIOCSTI, "TIOCSTI"); }
Outcome h05_tioclinux(const Expect&) { return tty_ioctl_probe(TIOCLINUX, "TIOCLINUX"); }

Outcome h06_nnp(const Expect&) {
  int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (v == 1) return pass("no_new_privs=1");
  return fail("no_new_privs=" + std::to_string(v), v < 0 ? errno : 0);
}

Outcome h07_core_dumps(const Expect& e) {
  rlimit rl{};
  if (getrlimit(RLIMIT_CORE, &rl) != 0) return fail("getrlimit(RLIMIT_CORE) failed", errno);
  auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("inf") : std::to_string(v); };
  std::string lim = "RLIMIT_CORE=" + show(rl.rlim_cur) + ":" + show(rl.rlim_max);
  if (rl.rlim_max != 0) return fail(lim + " (hard limit allows core dumps)");
  // Confirm with a real crash: the kernel must not report a core dump.
  std::string dir = e.str("workdir", "/tmp");
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) (void)!chdir("/tmp");
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st) && WCOREDUMP(st)) return fail(lim + " but crash dumped core");
  if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1) return pass(lim + ", crash without core (dumpable=1)");
  return pass(lim + ", crash without core");
}

Outcome h08_rlimits(const Expect& e) {
  if (!e.has("rlimits")) return skip("harness gave no --rlimits expectations");
  struct Named {
    const char* name;
    int res;
  };
  static const Named kNames[] = {{"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},
                                 {"as", RLIMIT_AS},         {"fsize", RLIMIT_FSIZE},
                                 {"cpu", RLIMIT_CPU},       {"core", RLIMIT_CORE},
                                 {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}};
  auto show = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("inf") : std::to_string(v); };
  auto parse = [](const std::string& s) -> rlim_t {
    if (s == "inf") return RLIM_INFINITY;
    return static_cast<rlim_t>(std::strtoull(s.c_str(), nullptr, 10));
  };
  std::string all;
  std::string bad;
  for (const auto& n : kNames) {
    rlimit rl{};
    getrlimit(n.res, &rl);
    all += std::string(" ") + n.name + "=" + show(rl.rlim_cur) + ":" + show(rl.rlim_max);
  }
  for (const auto& item : e.list("rlimits")) {
    auto eq = item.find('=');
    auto colon = item.find(':');
    if (eq == std::string::npos || colon == std::string::npos) return fail("bad --rlimits item " + item);
    std::string name = item.substr(0, eq);
    rlim_t soft = parse(item.substr(eq + 1, colon - eq - 1));
    rlim_t hard = parse(item.substr(colon + 1));
    const Named* found = nullptr;
    for (const auto& n : kNames) {
      if (name == n.name) found = &n;
    }
    if (found == nullptr) return fail("unknown rlimit " + name);
    rlimit rl{};
    getrlimit(found->res, &rl);
    if (rl.rlim_cur != soft || rl.rlim_max != hard) {
      bad += " " + name + " is " + show(rl.rlim_cur) + ":" + show(rl.rlim_max) + " want " +
             show(soft) + ":" + show(hard) + ";";
    }
  }
  if (!bad.empty()) return fail("differ from policy:" + bad + " |" + all);
  return pass("match policy:" + all);
}

Outcome h09_parent_death(const Expect& e) {
  // The decisive part is harness-side (kill the launcher, time until the token is gone).
  // Here: plant a detached, SIGTERM-ignoring sleeper carrying the token.
  if (!e.has("token")) return info("harness-observed; no --token given, nothing planted");
  pid_t p = spawn_detached_sleeper(e, "-H09", false);
  return info("harness-observed; planted detached sleeper (pid " + std::to_string(p) + ") token=" +
              e.str("token") + "-H09");
}

Outcome h10_cwd_root(const Expect& e) {
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf) == nullptr) return fail("getcwd failed (cwd outside the root?)", errno);
  std::string cwd = buf;
  if (starts_with(cwd, "(unreachable)")) return fail("cwd outside the sandbox root: " + cwd);
  std::string why;
  if (e.has("canary-file")) {
    std::string canary = e.str("canary-file");
    std::string cdir = canary.substr(0, canary.rfind('/'));
    std::string base = canary.substr(canary.rfind('/') + 1);
    if (cwd == cdir) why += " cwd is the host canary dir;";
    int fd = open(base.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      why += " canary reachable relative to cwd;";
    }
    if (e.has("scratch") && starts_with(cwd, e.str("scratch")) &&
        !(e.has("workdir") && starts_with(cwd, e.str("workdir")))) {
      why += " cwd inside the harness scratch root;";
    }
  }
  struct stat root{}, up{};
  if (chdir("/") != 0 || stat(".", &root) != 0 || chdir("..") != 0 || stat(".", &up) != 0) {
    return fail("chdir/stat of / failed", errno);
  }
  if (root.st_ino != up.st_ino || root.st_dev != up.st_dev) why += " '..' from / leaves /;";
  if (!why.empty()) return fail("cwd=" + cwd + ":" + why);
  return pass("cwd=" + cwd + " inside the root; '..' from / stays /");
}

}  // namespace

void add_group_h(std::vector<Probe>& out) {
  out.push_back({"H01", "fd-leak", h01_fd_leak});
  out.push_back({"H02", "env-scrub", h02_env_scrub});
  out.push_back({"H03", "no-ctty", h03_no_ctty, 5000, false});
  out.push_back({"H04", "tiocsti", h04_tiocsti, 5000, false});
  out.push_back({"H05", "tioclinux", h05_tioclinux, 5000, false});
  out.push_back({"H06", "nnp", h06_nnp});
  out.push_back({"H07", "core-dumps", h07_core_dumps});
  out.push_back({"H08", "rlimits", h08_rlimits});
  out.push_back({"H09", "parent-death", h09_parent_death});
  out.push_back({"H10", "cwd-root", h10_cwd_root});
}

}  // namespace probe
