// N — namespaces: what of the host (pids, mounts, network, hostname, IPC, cgroups, time) the
// sandbox can see or join.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "net.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

// "same" when the harness told us the host's inode for this namespace and ours is equal.
std::string ns_compare(const Expect& e, const std::string& name, bool* same) {
  *same = false;
  std::uint64_t mine = ns_inode(name);
  for (const auto& item : e.list("host-ns")) {
    if (starts_with(item, name + "=")) {
      auto host = parse_u64(item.substr(name.size() + 1)).value_or(0);
      *same = host != 0 && host == mine;
      return name + "ns " + std::to_string(mine) + (*same ? " == host" : " != host " + std::to_string(host));
    }
  }
  return name + "ns " + std::to_string(mine) + " (host unknown)";
}

Outcome n01_pid_isolation(const Expect& e) {
  if (!e.has("launcher-pid")) return skip("harness gave no --launcher-pid");
  pid_t lp = static_cast<pid_t>(*e.num("launcher-pid"));
  bool same = false;
  std::string ns = ns_compare(e, "pid", &same);
  Attempt k = attempt_here([&] { return static_cast<long>(kill(lp, 0)); });
  Attempt pf = attempt_here([&] {
    long fd = syscall(SYS_pidfd_open, lp, 0);
    if (fd >= 0) close(static_cast<int>(fd));
    return fd;
  });
  struct stat st{};
  bool in_proc = stat(("/proc/" + std::to_string(lp)).c_str(), &st) == 0;
  auto pids = visible_pids();
  std::string d = ns + "; kill(launcher,0):" + k.describe() + " pidfd_open:" + pf.describe() +
                  " /proc/" + std::to_string(lp) + (in_proc ? " visible" : " absent") + "; " +
                  std::to_string(pids.size()) + " pids visible";
  // pidfd_open may not exist at all (ENOSYS: gVisor 2022): then it cannot reach the launcher
  // either; kill() must still say ESRCH.
  const bool pf_blind = pf.err == ESRCH || pf.err == ENOSYS;
  if (same || k.ok() || pf.ok() || in_proc || k.err != ESRCH || !pf_blind) {
    if (!same && !k.ok() && !pf.ok() && !in_proc && k.err == EPERM) {
      return fail(d + " (launcher exists but is shielded: not a pid namespace)", k.err);
    }
    return fail(d, k.err);
  }
  return pass(d, ESRCH);
}

Outcome n02_mount_isolation(const Expect& e) {
  if (!e.has("canary-file")) return skip("harness gave no --canary-file");
  std::string c = e.str("canary-file");
  bool same = false;
  std::string ns = ns_compare(e, "mnt", &same);
  std::vector<std::string> paths = {c, "/proc/self/root" + c, "/proc/1/root" + c};
  if (e.has("launcher-pid")) paths.push_back("/proc/" + e.str("launcher-pid") + "/root" + c);
  std::string d = ns + ";";
  bool opened = false, visible = false;
  int err = 0;
  for (const auto& p : paths) {
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    int er = errno;
    if (fd >= 0) {
      char buf[64] = {};
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      opened = true;
      d += " " + p + ": OPENED content='" + printable(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0)) + "';";
      continue;
    }
    d += " " + p + ":" + errname(er) + ";";
    if (p == c) err = er;
    if (p == c && er != ENOENT) visible = true;  // exists in our view but blocked otherwise
  }
  if (opened || same) return fail(d, err);
  if (visible) return fail(d + " canary path exists in the sandbox view (not hidden by the mount namespace)", err);
  return pass(d, err);
}

Outcome n03_net_isolation(const Expect& e) {
  bool same = false;
  std::string ns = ns_compare(e, "net", &same);
  auto ifs = interfaces();
  std::string names;
  bool only_lo = true;
  for (const auto& n : ifs) {
    names += (names.empty() ? "" : ",") + n;
    if (n != "lo") only_lo = false;
  }
  std::string d = ns + "; interfaces={" + names + "}";
  int r = 1;
  if (e.has("tcp-port")) {
    r = tcp_connect("127.0.0.1", static_cast<int>(*e.num("tcp-port")), 1000);
    d += "; connect 127.0.0.1:" + e.str("tcp-port") + " -> " + (r == 0 ? "CONNECTED" : errname(-r));
  }
  if (same || !only_lo || r == 0) return fail(d, r < 0 ? -r : 0);
  return pass(d, r < 0 ? -r : 0);
}

// The only way out is the one the policy names. Allowlist: the egress proxy refuses the host's
// listener (not on the list: 403) and nothing reaches it directly. Off and loopback: no proxy
// and no route. The host's network (a weakened policy) reaches it: FAIL.
Outcome n10_egress(const Expect& e) {
  if (!e.has("tcp-port")) return skip("harness gave no --tcp-port");
  const std::string mode = e.has("net-mode") ? e.str("net-mode") : "off";
  const std::string target = "127.0.0.1:" + e.str("tcp-port");
  const int direct = tcp_connect("127.0.0.1", static_cast<int>(*e.num("tcp-port")), 1000);
  const std::string proxied = proxy_connect(3128, target);
  const std::string d = "net-mode " + mode + "; direct " + target + " -> " +
                        (direct == 0 ? std::string("CONNECTED") : errname(-direct)) +
                        "; CONNECT via 127.0.0.1:3128 -> " + proxied;
  if (direct == 0 || proxied.rfind("HTTP/1.1 200", 0) == 0) return fail(d);
  if (mode == "allowlist" && proxied.rfind("HTTP/1.1 403", 0) != 0) {
    return fail(d + " (allowlist: the proxy should have refused with 403)");
  }
  return pass(d, direct < 0 ? -direct : 0);
}

Outcome n04_uts_isolation(const Expect& e) {
  if (!e.has("host-hostname")) return skip("harness gave no --host-hostname");
  utsname u{};
  uname(&u);
  std::string name = u.nodename;
  bool same = false;
  std::string ns = ns_compare(e, "uts", &same);
  // Setting the name we already have changes nothing, even on an open host.
  Attempt s = attempt([&] { return static_cast<long>(sethostname(name.c_str(), name.size())); });
  std::string d = ns + "; hostname='" + name + "' host='" + e.str("host-hostname") +
                  "'; sethostname(same name):" + s.describe();
  if (name == e.str("host-hostname")) return fail(d + ": host hostname visible");
  if (same && s.ok()) return fail(d + ": host UTS namespace writable");
  return pass(d, s.err);
}

Outcome n05_ipc_isolation(const Expect& e) {
  if (!e.has("sysv-key") && !e.has("mq-name")) return skip("harness gave no --sysv-key/--mq-name");
  std::string d;
  bool found = false;
  if (e.has("sysv-key")) {
    key_t key = static_cast<key_t>(*e.num("sysv-key"));
    Attempt shm = attempt_here([&] { return static_cast<long>(shmget(key, 0, 0)); });
    Attempt msg = attempt_here([&] { return static_cast<long>(msgget(key, 0)); });
    Attempt sem = attempt_here([&] { return static_cast<long>(semget(key, 0, 0)); });
    d += "shmget:" + shm.describe() + " msgget:" + msg.describe() + " semget:" + sem.describe();
    found = shm.ok() || msg.ok() || sem.ok();
  }
  if (e.has("mq-name")) {
    std::string n = e.str("mq-name");
    if (!n.empty() && n[0] == '/') n = n.substr(1);  // the syscall takes the name without '/'
    Attempt mq = attempt_here([&] {
      long fd = syscall(SYS_mq_open, n.c_str(), O_RDONLY | O_CLOEXEC, 0, nullptr);
      if (fd >= 0) close(static_cast<int>(fd));
      return fd;
    });
    d += " mq_open:" + mq.describe();
    found = found || mq.ok();
  }
  bool same = false;
  d = ns_compare(e, "ipc", &same) + "; " + d;
  if (found || same) return fail(d);
  return pass(d);
}

long clone_newuser_raw() {
  long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, 0);
  return r;
}

long clone3_newuser() {
  clone_args a{};
  a.flags = CLONE_NEWUSER;
  a.exit_signal = SIGCHLD;
  long r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(0);
  if (r > 0) waitpid(static_cast<pid_t>(r), nullptr, 0);
  return r;
}

Outcome n06_userns_nesting(const Expect&) {
  Attempt u = attempt([] { return static_cast<long>(unshare(CLONE_NEWUSER)); });
  Attempt c = attempt(clone_newuser_raw);
  Attempt c3 = attempt(clone3_newuser);
  std::string d = "unshare:" + u.describe() + " clone:" + c.describe() + " clone3:" + c3.describe();
  if (u.ok() || c.ok() || c3.ok()) return fail("new user namespace created: " + d);
  return pass(d, u.err);
}

Outcome n07_setns(const Expect& e) {
  std::vector<std::string> targets;
  for (const char* n : {"mnt", "net", "pid", "user", "uts", "ipc", "cgroup", "time"}) {
    targets.push_back(std::string("/proc/1/ns/") + n);
    if (e.has("launcher-pid")) targets.push_back("/proc/" + e.str("launcher-pid") + "/ns/" + n);
  }
  for (int fd : startup_fds()) {
    std::string t = readlink_str("/proc/self/fd/" + std::to_string(fd));
    if (t.find(":[") != std::string::npos && t.find("socket") == std::string::npos &&
        t.find("pipe") == std::string::npos && t.find("anon_inode") == std::string::npos) {
      targets.push_back("/proc/self/fd/" + std::to_string(fd));
    }
  }
  std::string d;
  std::string joined;
  int err = 0;
  for (const auto& t : targets) {
    int fd = open(t.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // Joining happens in a throw-away child: even on an open host nothing changes for us.
    Attempt a = attempt([&] { return static_cast<long>(setns(fd, 0)); });
    close(fd);
    d += " " + t.substr(6) + ":" + a.describe() + ";";
    if (a.ok()) joined += " " + t;
    else if (err == 0 || err == EINVAL) err = a.err;
  }
  if (d.empty()) return pass("no namespace file reachable", ENOENT);
  if (!joined.empty()) return fail("setns succeeded:" + joined + " |" + d);
  return pass(d, err);
}

Outcome n08_cgroup_ns(const Expect& e) {
  bool same = false;
  std::string ns = ns_compare(e, "cgroup", &same);
  auto text = read_file("/proc/self/cgroup");
  std::string why;
  if (text) {
    for (const auto& line : split(*text, '\n')) {
      auto pos = line.rfind(':');
      if (pos != std::string::npos && line.substr(pos + 1) != "/") why += " " + line + ";";
    }
  }
  std::string rw;
  for (const auto& m : mountinfo()) {
    if (m.fstype != "cgroup" && m.fstype != "cgroup2") continue;
    if (m.has_option("ro")) continue;
    // Opening for write (no write follows) tells whether the hierarchy is writable to us.
    std::string f = m.mount_point + "/cgroup.procs";
    int fd = open(f.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      rw += " " + f;
    }
  }
  std::string d = ns + (text ? "" : "; /proc/self/cgroup unreadable");
  if (!why.empty()) d += "; cgroup paths not '/':" + why;
  if (!rw.empty()) d += "; writable:" + rw;
  if (same || !why.empty() || !rw.empty()) return fail(d);
  return pass(d + "; cgroup paths '/', cgroupfs read-only or absent");
}

Outcome n09_time_ns(const Expect& e) {
  // ADJ_TICK with an out-of-range tick: without CAP_SYS_TIME -> EPERM; with it -> EINVAL.
  // Either way the clock is never changed.
  Attempt a = attempt([] {
    timex tx{};
    tx.modes = ADJ_TICK;
    tx.tick = 1;
    return static_cast<long>(adjtimex(&tx));
  });
  Attempt c = attempt([] {
    timex tx{};
    tx.modes = ADJ_TICK;
    tx.tick = 1;
    return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
  });
  bool same = false;
  std::string d = ns_compare(e, "time", &same) + "; adjtimex(ADJ_TICK,bad):" + a.describe() +
                  " clock_adjtime:" + c.describe();
  if (!a.denied() || !c.denied()) return fail(d + ": clock setting reached the kernel (CAP_SYS_TIME held)", a.err);
  return pass(d, a.err);
}

}  // namespace

void add_group_n(std::vector<Probe>& out) {
  out.push_back({"N01", "pid-isolation", n01_pid_isolation});
  out.push_back({"N02", "mount-isolation", n02_mount_isolation});
  out.push_back({"N03", "net-isolation", n03_net_isolation});
  out.push_back({"N04", "uts-isolation", n04_uts_isolation});
  out.push_back({"N05", "ipc-isolation", n05_ipc_isolation});
  out.push_back({"N06", "userns-nesting", n06_userns_nesting});
  out.push_back({"N07", "setns", n07_setns});
  out.push_back({"N08", "cgroup-ns", n08_cgroup_ns});
  out.push_back({"N09", "time-ns", n09_time_ns});
  out.push_back({"N10", "egress", n10_egress});
}

}  // namespace probe
