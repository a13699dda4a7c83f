// L — Landlock: domain active, filesystem rights, refer, memfd gap, TCP rules, TFO gap, scopes.
#include <fcntl.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "net.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace probe {

// Shared with C09 (defined in group_c.cpp).
long memfd_exec(const std::string& self);

namespace {

int landlock_abi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v > 0 ? static_cast<int>(v) : 0;
}

int host_landlock_abi(const Expect& e) {
  for (const auto& f : e.list("features")) {
    if (starts_with(f, "landlock=")) return std::atoi(f.substr(9).c_str());
  }
  return -1;  // unknown
}

// Landlock is seen where the mount would allow an action and only the ruleset refuses it
// (EACCES, where a read-only mount would give EROFS): writing /proc/self/comm on a read-write
// /proc, creating files in /dev or /. Created files are removed at once.
Outcome l01_abi_active(const Expect& e) {
  int abi = landlock_abi();
  int host = host_landlock_abi(e);
  if (abi == 0 && host == 0) return skip("kernel lacks Landlock (measured outside the sandbox)");
  long long want = e.num("landlock-min-abi").value_or(1);
  std::string d = "ABI " + std::to_string(abi) + " (need >= " + std::to_string(want) + ");";
  if (abi < want) return fail(d);
  bool denied = false, created = false;
  // /proc/self/comm is writable by its owner on a read-write proc mount; opening it for write
  // (nothing is written) is refused only by rules that keep /proc read-only.
  {
    int fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC);
    int err = errno;
    if (fd >= 0) close(fd);
    d += std::string(" open-w /proc/self/comm: ") + (fd >= 0 ? "OPENED" : errname(err)) + ";";
    if (fd >= 0) created = true;
    denied = denied || err == EACCES;
  }
  for (const char* dir : {"/dev", "/"}) {
    std::string p = scratch_name(dir, "ll");
    int fd = open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    int err = errno;
    if (fd >= 0) {
      close(fd);
      unlink(p.c_str());
      created = true;
      d += std::string(" create in ") + dir + ": CREATED;";
    } else {
      d += std::string(" create in ") + dir + ": " + errname(err) + ";";
      denied = denied || err == EACCES;
    }
  }
  if (e.has("ll-denied")) {
    std::string target = e.str("ll-denied");
    int fd = open(target.c_str(), O_RDONLY | O_CLOEXEC);
    int err = errno;
    if (fd >= 0) close(fd);
    d += " read " + target + ": " + (fd >= 0 ? std::string("OPENED") : errname(err)) + ";";
    if (fd >= 0) created = true;
    denied = denied || err == EACCES;
  }
  if (created) return fail(d + " a path outside the rules is writable/readable");
  if (!denied) return fail(d + " no Landlock denial (EACCES) observed");
  return pass(d, EACCES);
}

struct Op {
  std::string name;
  int err;  // 0 = allowed
};

int do_op(const std::function<int()>& f) { return f() == 0 ? 0 : errno; }

Outcome l02_fs_rights(const Expect& e) {
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  std::string w = e.str("workdir");
  std::string base = scratch_name(w, "ll");
  std::vector<Op> inside;
  auto add = [&](const char* n, const std::function<int()>& f) { inside.push_back({n, do_op(f)}); };
  add("make_dir", [&] { return mkdir(base.c_str(), 0700); });
  std::string f = base + "/f";
  add("make_reg+write", [&] {
    int fd = open(f.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int r = write(fd, "abc", 3) == 3 ? 0 : -1;
    close(fd);
    return r;
  });
  add("read", [&] { return read_file(f) ? 0 : -1; });
  add("truncate", [&] { return truncate(f.c_str(), 1); });
  add("make_fifo", [&] { return mkfifo((base + "/p").c_str(), 0600); });
  add("make_sym", [&] { return symlink("f", (base + "/s").c_str()); });
  add("refer(rename)", [&] { return rename(f.c_str(), (base + "/g").c_str()); });
  add("remove_file", [&] {
    unlink((base + "/p").c_str());
    unlink((base + "/s").c_str());
    return unlink((base + "/g").c_str());
  });
  add("remove_dir", [&] { return rmdir(base.c_str()); });
  std::vector<Op> outside;
  for (const char* dir : {"/usr", "/etc"}) {
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) close(fd);
    outside.push_back({std::string("make_reg ") + dir, fd >= 0 ? 0 : errno});
    std::string p = scratch_name(dir, "d");
    int r = mkdir(p.c_str(), 0700);
    if (r == 0) rmdir(p.c_str());
    outside.push_back({std::string("make_dir ") + dir, r == 0 ? 0 : errno});
  }
  // ioctl on a device (Landlock IOCTL_DEV, ABI >= 5): TCGETS on /dev/null is harmless.
  int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::string ioctl_dev = "n/a";
  if (dn >= 0) {
    termios t{};
    ioctl_dev = ioctl(dn, TCGETS, &t) == 0 ? "OK" : errname(errno);
    close(dn);
  }
  std::string d = "work dir:";
  bool bad = false;
  for (const auto& o : inside) {
    d += " " + o.name + "=" + errname(o.err);
    if (o.err != 0) bad = true;
  }
  d += " | outside:";
  for (const auto& o : outside) {
    d += " " + o.name + "=" + errname(o.err);
    if (o.err == 0) bad = true;
  }
  d += " | ioctl_dev(/dev/null TCGETS)=" + ioctl_dev;
  if (bad) return fail(d);
  return pass(d);
}

Outcome l03_refer(const Expect& e) {
  if (!e.has("protected") || !e.has("workdir")) return skip("harness gave no --protected/--workdir");
  std::string prot = e.str("protected");
  std::string src = prot + "/file";
  std::string dst = scratch_name(e.str("workdir"), "moved");
  std::string d;
  bool moved = false;
  if (rename(src.c_str(), dst.c_str()) == 0) {
    moved = true;
    (void)rename(dst.c_str(), src.c_str());  // put it back
    d += " rename: MOVED;";
  } else {
    d += " rename:" + errname(errno) + ";";
  }
  std::string dst2 = scratch_name(e.str("workdir"), "linked");
  if (link(src.c_str(), dst2.c_str()) == 0) {
    unlink(dst2.c_str());
    moved = true;
    d += " link: LINKED;";
  } else {
    d += " link:" + errname(errno) + ";";
  }
  if (moved) return fail("file left the protected hierarchy:" + d);
  return pass(d);
}

Outcome l04_memfd_gap(const Expect& e) {
  std::string self = self_path(e);
  Attempt a = attempt([&] { return memfd_exec(self); }, 4000);
  if (a.ret == 42) return fail("memfd exec works: Landlock does not cover it and nothing else blocks it");
  return pass("memfd exec blocked elsewhere (ret " + std::to_string(a.ret) + ", " + a.describe() + ")");
}

Outcome l05_tcp_rules(const Expect& e) {
  int host = host_landlock_abi(e);
  if (host >= 0 && host < 4) return skip("kernel Landlock ABI " + std::to_string(host) + " < 4 has no TCP rules");
  if (!e.has("tcp-port")) return skip("harness gave no --tcp-port");
  // A network mode with an open loopback (or the proxy) and no listed ports has no TCP rules by
  // design (network.hpp); with the network off a missing rule set is a gap and stays a FAIL.
  const std::string mode = e.has("net-mode") ? e.str("net-mode") : "off";
  if (e.has("landlock-tcp") && e.str("landlock-tcp") == "off" && mode != "off") {
    return skip("network mode " + mode + " without listed ports installs no Landlock TCP rules");
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int bind_err = 0;
  if (fd < 0) {
    bind_err = errno;
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    bind_err = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? 0 : errno;
    close(fd);
  }
  int c = tcp_connect("127.0.0.1", static_cast<int>(*e.num("tcp-port")), 1000);
  std::string d = "bind 127.0.0.1:0 -> " + errname(bind_err) + "; connect 127.0.0.1:" + e.str("tcp-port") +
                  " -> " + errname(-c);
  if (bind_err == EACCES && c == -EACCES) return pass(d, EACCES);
  return fail(d + " (expected Landlock's EACCES for both)", bind_err);
}

Outcome l06_tfo_gap(const Expect& e) {
  if (!e.has("tcp-port")) return skip("harness gave no --tcp-port");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return pass("socket refused: " + errname(errno), errno);
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<std::uint16_t>(*e.num("tcp-port")));
  ssize_t n = sendto(fd, "x", 1, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int err = errno;
  close(fd);
  if (n >= 0) return fail("sendto(MSG_FASTOPEN) reached the host listener (" + std::to_string(n) + " byte)");
  return pass("sendto(MSG_FASTOPEN) -> " + errname(err), err);
}

Outcome l07_scope_abstract(const Expect& e) {
  if (!e.has("abstract")) return skip("harness gave no --abstract");
  int r = abstract_connect(e.str("abstract"));
  if (r == 0) return fail("connected to the host's abstract socket");
  if (r == -EPERM) return pass("Landlock scope: EPERM", EPERM);
  return pass("unreachable: " + errname(-r) + " (Landlock scope not exercised: separate network namespace)", -r);
}

Outcome l08_scope_signal(const Expect& e) {
  if (!e.has("launcher-pid") && !e.has("victim-pid")) return skip("harness gave no --launcher-pid/--victim-pid");
  std::string d;
  bool reached = false;
  int err = 0;
  for (const char* key : {"launcher-pid", "victim-pid"}) {
    if (!e.has(key)) continue;
    pid_t p = static_cast<pid_t>(*e.num(key));
    int r = kill(p, 0);
    int er = errno;
    d += std::string(" kill(") + key + ",0):" + (r == 0 ? "OK" : errname(er)) + ";";
    if (r == 0) reached = true;
    else if (err == 0 || er == EPERM) err = er;
  }
  if (reached) return fail("signals reach processes outside:" + d);
  return pass(d, err);
}

Outcome l09_ptrace_scope(const Expect& e) {
  if (!e.has("victim-pid")) return skip("harness gave no --victim-pid");
  pid_t v = static_cast<pid_t>(*e.num("victim-pid"));
  // SEIZE does not stop the victim; the throw-away tracer exits at once, which detaches.
  Attempt a = attempt([v] {
    long r = ptrace(PTRACE_SEIZE, v, nullptr, nullptr);
    if (r == 0) ptrace(PTRACE_DETACH, v, nullptr, nullptr);
    return r;
  });
  if (a.ok()) return fail("ptrace(PTRACE_SEIZE) attached to a host process");
  return pass("ptrace(PTRACE_SEIZE, victim): " + a.describe(), a.err);
}

Outcome l10_preopened_fds(const Expect& e) {
  long long canary = e.num("canary-fd").value_or(-1);
  std::string extra;
  auto declared = e.list("declared-fds");
  for (int fd : startup_fds()) {
    if (fd <= 2) continue;
    bool decl = false;
    for (const auto& d : declared) decl = decl || std::atoi(d.c_str()) == fd;
    if (decl) continue;
    extra += " fd" + std::to_string(fd) + (fd == canary ? "(canary)" : "");
  }
  if (!extra.empty()) return fail("fds opened before restrict_self reached the sandbox:" + extra);
  return pass("no pre-opened fds beyond 0-2 (same check as H01)");
}

}  // namespace

void add_group_l(std::vector<Probe>& out) {
  out.push_back({"L01", "abi-active", l01_abi_active});
  out.push_back({"L02", "fs-rights", l02_fs_rights});
  out.push_back({"L03", "refer", l03_refer});
  out.push_back({"L04", "memfd-gap", l04_memfd_gap});
  out.push_back({"L05", "tcp-rules", l05_tcp_rules});
  out.push_back({"L06", "tfo-gap", l06_tfo_gap});
  out.push_back({"L07", "scope-abstract", l07_scope_abstract});
  out.push_back({"L08", "scope-signal", l08_scope_signal});
  out.push_back({"L09", "ptrace-scope", l09_ptrace_scope});
  out.push_back({"L10", "preopened-fds", l10_preopened_fds});
}

}  // namespace probe
