// C — seccomp: filter present, foreign ABIs, the dangerous set (bad-argument technique), clone3,
// ioctl argument filtering, socket families, personality, memfd exec, filter immutability.
// Bad-argument technique: each call is made with arguments that make it fail harmlessly AFTER the
// kernel accepted it (EFAULT, EBADF, EINVAL, ...). EPERM/ENOSYS/SIGSYS = stopped before that.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "abi.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

Outcome c01_filter_present(const Expect&) {
  std::string s = proc_status("Seccomp");
  std::string filters = proc_status("Seccomp_filters");
  if (s.empty()) {
    int m = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    s = std::to_string(m);
  }
  std::string d = "Seccomp: " + s + (filters.empty() ? "" : ", filters: " + filters);
  if (s == "2") return pass(d);
  return fail(d);
}

// int $0x80 returns -errno in rax; turn it into the usual -1/errno shape.
long i386_call(long nr, long a1 = 0, long a2 = 0) {
  long r = int80(nr, a1, a2);
  if (r < 0 && r > -4096) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

Outcome c02_i386_abi(const Expect& e) {
  if (e.features_known() && !e.feature("ia32")) {
    return skip("kernel lacks ia32 emulation (measured outside the sandbox)");
  }
  std::string d;
  bool executed = false;
  Attempt gp = attempt([] { return i386_call(kI386Getpid); });
  d += "getpid:" + gp.describe() + ";";
  if (gp.ok() && gp.ret > 0) executed = true;
  // exit(42) through the i386 table: if it runs, the child exits 42 without reporting.
  Attempt ex = attempt([] { return i386_call(kI386Exit, 42); });
  bool exit_ran = ex.killed && ex.sig == 0 && ex.ret == 42;
  d += std::string(" exit:") + (exit_ran ? "EXECUTED" : ex.describe()) + ";";
  executed = executed || exit_ran;
  Attempt ac = attempt([] {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED) return -1L;
    std::strcpy(static_cast<char*>(p), "/");
    return i386_call(kI386Access, static_cast<long>(reinterpret_cast<std::uintptr_t>(p)), F_OK);
  });
  d += " access:" + ac.describe() + ";";
  if (ac.ok()) executed = true;
  if (executed) return fail("i386 syscalls execute:" + d);
  if (!e.features_known() && gp.killed && gp.sig == SIGSEGV) {
    return skip("int $0x80 faults (no ia32 emulation?):" + d);
  }
  return pass(d, gp.err);
}

Outcome c03_x32_abi(const Expect& e) {
  if (e.features_known() && !e.feature("x32")) {
    return skip("kernel lacks the x32 ABI (CONFIG_X86_X32_ABI off; measured outside the sandbox)");
  }
  Attempt a = attempt([] { return syscall(kX32Bit | SYS_getpid); });
  Attempt b = attempt([] { return syscall(kX32Bit | SYS_getppid); });
  std::string d = "x32 getpid:" + a.describe() + " getppid:" + b.describe();
  if (a.ok() || b.ok()) return fail("x32 syscalls execute: " + d);
  return pass(d, a.err);
}

struct Dangerous {
  const char* name;
  long nr;
  long a[6];
};

const std::vector<Dangerous>& dangerous_calls() {
  static const long kBad = 1;  // an unmapped user pointer
  static const std::vector<Dangerous> v = {
      {"keyctl", SYS_keyctl, {9999, 0, 0, 0, 0, 0}},
      {"add_key", SYS_add_key, {0, 0, 0, 0, 0, 0}},
      {"request_key", SYS_request_key, {0, 0, 0, 0, 0, 0}},
      {"bpf", SYS_bpf, {9999, 0, 0, 0, 0, 0}},
      {"perf_event_open", SYS_perf_event_open, {0, 0, -1, -1, 0, 0}},
      {"userfaultfd(user-mode)", SYS_userfaultfd, {1 | 0x40, 0, 0, 0, 0, 0}},
      {"userfaultfd", SYS_userfaultfd, {0x40, 0, 0, 0, 0, 0}},
      {"io_uring_setup", SYS_io_uring_setup, {1, 0, 0, 0, 0, 0}},
      {"io_uring_enter", SYS_io_uring_enter, {-1, 0, 0, 0, 0, 0}},
      {"io_uring_register", SYS_io_uring_register, {-1, 0, 0, 0, 0, 0}},
      {"kexec_load", SYS_kexec_load, {0, 0, 0, 0xffffffffL, 0, 0}},
      {"kexec_file_load", SYS_kexec_file_load, {-1, -1, 0, 0, 0xffffffffL, 0}},
      {"init_module", SYS_init_module, {0, 0, kBad, 0, 0, 0}},
      {"finit_module", SYS_finit_module, {-1, kBad, 0, 0, 0, 0}},
      {"delete_module", SYS_delete_module, {kBad, 0, 0, 0, 0, 0}},
      {"acct", SYS_acct, {kBad, 0, 0, 0, 0, 0}},
      {"swapon", SYS_swapon, {kBad, 0, 0, 0, 0, 0}},
      {"swapoff", SYS_swapoff, {kBad, 0, 0, 0, 0, 0}},
      {"reboot", SYS_reboot, {0, 0, 0, 0, 0, 0}},
      {"syslog", SYS_syslog, {3, 0, 0, 0, 0, 0}},
      {"ptrace", SYS_ptrace, {3 /*PEEKUSER*/, 0x7ffffff0, 0, 0, 0, 0}},
      {"process_vm_readv", SYS_process_vm_readv, {0, 0, 0, 0, 0, 1}},
      {"process_vm_writev", SYS_process_vm_writev, {0, 0, 0, 0, 0, 1}},
      {"kcmp", SYS_kcmp, {0, 0, 9999, 0, 0, 0}},
      {"pidfd_getfd", SYS_pidfd_getfd, {-1, 0, 0, 0, 0, 0}},
      {"lookup_dcookie", SYS_lookup_dcookie, {0, 0, 0, 0, 0, 0}},
      {"quotactl", SYS_quotactl, {0xff, 0, 0, 0, 0, 0}},
      {"quotactl_fd", SYS_quotactl_fd, {-1, 0, 0, 0, 0, 0}},
      {"vhangup", SYS_vhangup, {0, 0, 0, 0, 0, 0}},
      {"iopl", SYS_iopl, {4, 0, 0, 0, 0, 0}},
      {"ioperm", SYS_ioperm, {0, 0, 1, 0, 0, 0}},
      {"settimeofday", SYS_settimeofday, {0, kBad, 0, 0, 0, 0}},
      {"clock_settime", SYS_clock_settime, {0, kBad, 0, 0, 0, 0}},
      {"adjtimex", SYS_adjtimex, {kBad, 0, 0, 0, 0, 0}},
      {"fanotify_init", SYS_fanotify_init, {0x80000000L, 0, 0, 0, 0, 0}},
      {"open_by_handle_at", SYS_open_by_handle_at, {-1, 0, 0, 0, 0, 0}},
  };
  return v;
}

Attempt call_dangerous(const Dangerous& c) {
  return attempt([&c] {
    long a0 = c.a[0], a1 = c.a[1];
    // pid arguments that must be our own pid (kcmp, process_vm_*) are filled in here.
    if (c.nr == SYS_kcmp) a0 = a1 = getpid();
    if (c.nr == SYS_process_vm_readv || c.nr == SYS_process_vm_writev) a0 = getpid();
    if (c.nr == SYS_kcmp) return syscall(c.nr, a0, a1, c.a[2], c.a[3], c.a[4]);
    return syscall(c.nr, a0, a1, c.a[2], c.a[3], c.a[4], c.a[5]);
  });
}

Outcome c04_dangerous_set(const Expect&) {
  std::string reached;
  std::string blocked;
  for (const auto& c : dangerous_calls()) {
    Attempt a = call_dangerous(c);
    if (a.denied()) blocked += std::string(" ") + c.name + ":" + a.describe();
    else reached += std::string(" ") + c.name + ":" + a.describe();
  }
  if (!reached.empty()) return fail("reached the kernel:" + reached + " | blocked:" + blocked);
  return pass("all blocked:" + blocked, EPERM);
}

Outcome c05_clone3(const Expect&) {
  Attempt a = attempt([] { return syscall(SYS_clone3, nullptr, 0); });
  std::string d = "clone3(NULL,0): " + a.describe();
  if (!a.killed && a.ret < 0 && a.err == ENOSYS) return pass(d + " (libc falls back to clone)", ENOSYS);
  if (a.denied()) return fail(d + ": denied but not ENOSYS, libc will not fall back", a.err);
  return fail(d + ": clone3 reaches the kernel (its flags cannot be filtered)", a.err);
}

Outcome c06_ioctl_args(const Expect&) {
  std::string d;
  bool reached = false;
  for (auto [req, name] : {std::pair{static_cast<unsigned long>(TIOCSTI), "TIOCSTI"},
                           std::pair{static_cast<unsigned long>(TIOCLINUX), "TIOCLINUX"},
                           std::pair{static_cast<unsigned long>(TIOCSETD), "TIOCSETD"},
                           std::pair{static_cast<unsigned long>(TIOCCONS), "TIOCCONS"}}) {
    for (unsigned long hi : {0UL, 1UL << 32}) {
      unsigned long r = req | hi;
      Attempt a = attempt([r] { return syscall(SYS_ioctl, -1, r, 1L); });
      d += std::string(" ") + name + (hi ? "+hi" : "") + ":" + a.describe();
      if (!a.denied()) reached = true;
    }
  }
  if (reached) return fail("tty ioctls reach the kernel:" + d);
  return pass(d, EPERM);
}

Outcome c07_socket_families(const Expect&) {
  struct Fam {
    const char* name;
    int domain, type, proto;
  };
  static const Fam kFams[] = {
      {"AF_PACKET", AF_PACKET, SOCK_RAW, 0},
      {"AF_VSOCK", AF_VSOCK, SOCK_STREAM, 0},
      {"AF_KEY", AF_KEY, SOCK_RAW, 2},
      {"AF_ALG", AF_ALG, SOCK_SEQPACKET, 0},
      {"AF_BLUETOOTH", AF_BLUETOOTH, SOCK_RAW, 1},
      {"AF_APPLETALK", AF_APPLETALK, SOCK_DGRAM, 0},
      {"AF_XDP", AF_XDP, SOCK_RAW, 0},
      {"NETLINK_NETFILTER", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER},
      {"NETLINK_XFRM", AF_NETLINK, SOCK_RAW, NETLINK_XFRM},
      {"NETLINK_AUDIT", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT},
      {"NETLINK_KOBJECT_UEVENT", AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT},
      {"NETLINK_CONNECTOR", AF_NETLINK, SOCK_RAW, NETLINK_CONNECTOR},
      {"INET_RAW", AF_INET, SOCK_RAW, IPPROTO_RAW},
      {"INET6_RAW", AF_INET6, SOCK_RAW, IPPROTO_RAW},
  };
  std::string opened;
  std::string refused;
  for (const auto& f : kFams) {
    Attempt a = attempt([&f] {
      int fd = socket(f.domain, f.type | SOCK_CLOEXEC, f.proto);  // never connected or bound
      if (fd >= 0) close(fd);
      return static_cast<long>(fd);
    });
    if (a.ok()) opened += std::string(" ") + f.name;
    else refused += std::string(" ") + f.name + ":" + a.describe();
  }
  Attempt rt = attempt([] {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd >= 0) close(fd);
    return static_cast<long>(fd);
  });
  std::string route = " | NETLINK_ROUTE (per policy): " + rt.describe();
  if (!opened.empty()) return fail("created:" + opened + " | refused:" + refused + route);
  return pass("refused:" + refused + route, EPERM);
}

Outcome c08_personality(const Expect&) {
  std::string d;
  bool allowed = false;
  for (auto [p, name] : {std::pair{static_cast<unsigned long>(PER_LINUX) | static_cast<unsigned long>(ADDR_NO_RANDOMIZE), "ADDR_NO_RANDOMIZE"},
                         std::pair{static_cast<unsigned long>(PER_LINUX) | static_cast<unsigned long>(READ_IMPLIES_EXEC), "READ_IMPLIES_EXEC"},
                         std::pair{static_cast<unsigned long>(PER_BSD), "PER_BSD"}}) {
    unsigned long v = p;
    Attempt a = attempt([v] { return syscall(SYS_personality, v); });
    d += std::string(" ") + name + ":" + (a.ok() ? "SET" : a.describe());
    if (a.ok()) allowed = true;
  }
  Attempt q = attempt([] { return syscall(SYS_personality, 0xffffffffUL); });
  d += " query:" + q.describe();
  if (allowed) return fail("non-PER_LINUX personalities settable:" + d);
  return pass(d, EPERM);
}

// Creates a memfd holding a copy of this binary and executes it ("exit 42").
// Returns 42 when the memfd ran, -errno of the step that failed otherwise.
}  // namespace
long memfd_exec(const std::string& self) {
  int mfd = static_cast<int>(syscall(SYS_memfd_create, "kavach-probe", MFD_CLOEXEC));
  if (mfd < 0) return -1000 - errno;  // memfd_create itself refused
  auto bin = read_file(self, 64 << 20);
  if (!bin || !write_all(mfd, *bin)) return -2000 - errno;
  pid_t pid = fork();
  if (pid == 0) {
    char a0[] = "kavach-probe";
    char a1[] = "exit";
    char a2[] = "42";
    char* argv[] = {a0, a1, a2, nullptr};
    char* envp[] = {nullptr};
    syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
    _exit(100 + (errno & 0x7f));
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 42) return 42;
  if (WIFEXITED(st) && WEXITSTATUS(st) >= 100) return -(WEXITSTATUS(st) - 100);
  return -1;
}

namespace {

std::string memfd_describe(const Attempt& a) {
  if (a.killed) return "killed " + a.describe();
  if (a.ret == 42) return "memfd created and executed";
  if (a.ret <= -2000) return "memfd created, copy failed " + errname(static_cast<int>(-a.ret - 2000));
  if (a.ret <= -1000) return "memfd_create refused " + errname(static_cast<int>(-a.ret - 1000));
  return "memfd created, exec refused " + errname(static_cast<int>(-a.ret));
}

Outcome c09_memfd_exec(const Expect& e) {
  std::string self = self_path(e);
  Attempt a = attempt([&] { return memfd_exec(self); }, 4000);
  std::string d = memfd_describe(a) + (e.str("memfd-exec") == "1" ? " (policy allows memfd exec)" : "");
  if (a.ret == 42) return fail(d);
  return pass(d, a.ret < 0 ? static_cast<int>((-a.ret) % 1000) : 0);
}

int install_filter(const sock_filter* f, unsigned short n) {
  sock_fprog prog{n, const_cast<sock_filter*>(f)};
  (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) return 0;
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0) return 0;
  return -errno;
}

Outcome c10_filter_immutable(const Expect&) {
  // Find dangerous calls the current filter denies, then try to re-allow them.
  std::vector<const Dangerous*> denied;
  // Only calls whose kernel path has no capability check before the bad-argument error: for
  // them EPERM can only come from a filter (capability-gated calls would fake a PASS).
  static const std::vector<std::string_view> kCapFree = {
      "keyctl", "add_key", "request_key", "bpf", "io_uring_enter", "io_uring_register",
      "ptrace", "process_vm_readv", "kcmp", "pidfd_getfd", "quotactl_fd", "perf_event_open"};
  for (const auto& c : dangerous_calls()) {
    if (std::find(kCapFree.begin(), kCapFree.end(), c.name) == kCapFree.end()) continue;
    Attempt a = call_dangerous(c);
    if (a.denied()) denied.push_back(&c);
    if (denied.size() >= 3) break;
  }
  if (denied.empty()) return fail("no filter-only-deniable syscall is denied: there is no filter to keep");
  std::string d;
  bool reopened = false;
  for (const Dangerous* c : denied) {
    Attempt a = attempt([c] {
      static const sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
      int inst = install_filter(allow_all, 1);
      (void)prctl(PR_SET_SECCOMP, SECCOMP_MODE_DISABLED, 0, 0, 0);  // there is no way back; must fail
      (void)inst;
      return syscall(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
    });
    d += std::string(" ") + c->name + " after allow-all filter:" + a.describe() + ";";
    if (!a.denied()) reopened = true;
  }
  std::string mode = proc_status("Seccomp");
  if (reopened) return fail("an extra filter re-allowed denied calls:" + d);
  return pass("still denied:" + d + " Seccomp: " + mode, EPERM);
}

Outcome c11_nested_seccomp(const Expect&) {
  Attempt a = attempt([] {
    static const sock_filter deny_getppid[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 121),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    int r = install_filter(deny_getppid, sizeof deny_getppid / sizeof deny_getppid[0]);
    if (r != 0) return static_cast<long>(r) - 1000;
    long p = syscall(SYS_getppid);
    return p < 0 ? -static_cast<long>(errno) : p;
  });
  if (a.ok()) return fail("own filter installed but getppid still ran");
  if (a.killed) return fail("installing an own filter killed the process: " + a.describe());
  if (a.ret == -121) return pass("own stricter filter works (getppid -> errno 121)");
  if (a.ret <= -1000) {
    int err = static_cast<int>(-(a.ret + 1000));
    return fail("cannot install an own seccomp filter: " + errname(err), err);
  }
  return fail("unexpected result " + std::to_string(a.ret));
}

// C12: the protected-path guard decides on paths the caller can change while the call waits —
// its own path string (another thread rewrites it) and the filesystem (a symlink swapped
// between an allowed file and a protected name). Both races run for a while; the protected name
// must never appear. (A supervisor that checked and then let the kernel re-read the path would
// lose these races within milliseconds.)
Outcome c12_unotify_toctou(const Expect& e) {
  const std::vector<std::string> names = e.list("protected-names");
  if (names.empty() || !e.has("workdir")) {
    return skip("the policy protects no names below writable paths: no supervisor decision to race");
  }
  const std::string base = scratch_name(e.str("workdir"), "c12");
  const std::string target = base + "/" + names.front();
  for (std::size_t i = 1; i < target.size(); ++i) {
    if (target[i] == '/') (void)mkdir(target.substr(0, i).c_str(), 0755);
  }
  const std::string ok = base + "/ok";
  Attempt string_race = attempt([&] {
    // Thread 2 flips the path between an allowed file and the protected name while thread 1 opens.
    static char buf[4096];
    const std::string a = ok;
    const std::string b = target;
    if (a.size() >= sizeof buf || b.size() >= sizeof buf) return -1L;
    std::snprintf(buf, sizeof buf, "%s", a.c_str());
    static std::atomic<bool> stop{false};
    struct Flip {
      std::string a, b;
    };
    static Flip flip;
    flip = {a, b};
    pthread_t t;
    pthread_create(&t, nullptr, [](void*) -> void* {
      bool to_b = true;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string& s = to_b ? flip.b : flip.a;
        std::memcpy(buf, s.c_str(), s.size() + 1);
        to_b = !to_b;
      }
      return nullptr;
    }, nullptr);
    const double end = now_ms() + 1500;
    long opens = 0;
    while (now_ms() < end) {
      const int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        close(fd);
        ++opens;
      }
    }
    stop = true;
    pthread_join(t, nullptr);
    return opens;
  }, 6000);
  struct stat st {};
  const bool made_by_string = lstat(target.c_str(), &st) == 0;
  const std::string lnk = base + "/lnk";
  Attempt link_race = attempt([&] {
    const std::string tmp = base + "/lnk.tmp";
    const pid_t flipper = fork();
    if (flipper == 0) {
      bool to_target = true;
      const double end = now_ms() + 1600;
      while (now_ms() < end) {
        (void)unlink(tmp.c_str());
        (void)symlink((to_target ? target : ok).c_str(), tmp.c_str());
        (void)rename(tmp.c_str(), lnk.c_str());
        to_target = !to_target;
      }
      _exit(0);
    }
    const double end = now_ms() + 1500;
    long opens = 0;
    while (now_ms() < end) {
      const int fd = open(lnk.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        close(fd);
        ++opens;
      }
    }
    waitpid(flipper, nullptr, 0);
    return opens;
  }, 6000);
  const bool made_by_link = lstat(target.c_str(), &st) == 0;
  std::string d = "path-string race: " + string_race.describe() + " opens; symlink-swap race: " +
                  link_race.describe() + " opens; target " + names.front();
  // Leave nothing behind: the files, the link and the directories made on the way.
  for (const std::string& f : {target, ok, lnk, base + "/lnk.tmp"}) (void)unlink(f.c_str());
  for (std::size_t i = target.size(); i > base.size(); --i) {
    if (target[i - 1] == '/') (void)rmdir(target.substr(0, i - 1).c_str());
  }
  (void)rmdir(base.c_str());
  if (made_by_string || made_by_link) {
    return fail(std::string("protected name created by the ") + (made_by_string ? "path-string" : "symlink-swap") +
                " race: " + d);
  }
  if (!string_race.ok() || !link_race.ok() || string_race.ret == 0) return fail("race did not run: " + d);
  return pass(d);
}

}  // namespace

void add_group_c(std::vector<Probe>& out) {
  out.push_back({"C01", "filter-present", c01_filter_present});
  out.push_back({"C02", "i386-abi", c02_i386_abi});
  out.push_back({"C03", "x32-abi", c03_x32_abi});
  out.push_back({"C04", "dangerous-set", c04_dangerous_set, 15000});
  out.push_back({"C05", "clone3", c05_clone3});
  out.push_back({"C06", "ioctl-args", c06_ioctl_args});
  out.push_back({"C07", "socket-families", c07_socket_families});
  out.push_back({"C08", "personality", c08_personality});
  out.push_back({"C09", "memfd-exec", c09_memfd_exec});
  out.push_back({"C10", "filter-immutable", c10_filter_immutable, 15000});
  out.push_back({"C11", "nested-seccomp", c11_nested_seccomp});
  out.push_back({"C12", "unotify-toctou", c12_unotify_toctou, 15000});
}

}  // namespace probe
