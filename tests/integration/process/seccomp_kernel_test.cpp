// Seccomp against the real kernel. Each probe calls a syscall with harmless (mostly invalid)
// arguments in a forked child: under the filter it must answer EPERM/ENOSYS, and without the
// filter (negative control, same child set-up) it must answer something else — so every probe is
// shown to see the hole it guards.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/process/seccomp.hpp"
#include "kavach/syscalls.hpp"
#include "process/child.hpp"

namespace kavach {
namespace {

using testing::errno_of;
using testing::run_in_child;

constexpr unsigned kMfdNoexecSeal = 0x0008U;
constexpr long kSysFchmodat2 = 452;  // kernel 6.6; absent from Debian 12's headers  // kernel 6.3; absent from Debian 12's headers

struct Probe {
  std::string name;              // "<syscall>" or "<syscall>:<variant>"
  std::function<int()> call;     // returns errno (0 = succeeded)
  int blocked_errno = EPERM;     // what the filter must answer; 0 = must stay allowed
};

std::string err_name(int e) {
  if (e == 0) return "success";
  if (e < 0) return "child failure";
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

process::PreparedSeccomp prepared(SeccompPolicy p) {
  auto prog = build_seccomp_program(p);
  EXPECT_TRUE(prog) << prog.error().describe();
  auto out = process::prepare_seccomp(*prog);
  EXPECT_TRUE(out) << out.error().describe();
  return out ? std::move(*out) : process::PreparedSeccomp{};
}

process::PreparedSeccomp prepared(SeccompMode mode, bool memfd_exec = true) {
  SeccompPolicy p;
  p.mode = mode;
  p.allow_memfd_exec = memfd_exec;
  return prepared(p);
}

// Child: no_new_privs (as the sandbox has), the filter if any, then one probe.
int run_probe(const process::PreparedSeccomp* filter, const Probe& probe, std::string* detail) {
  auto r = run_in_child([&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (filter) {
      if (const int rc = process::apply_seccomp(*filter); rc != 0) {
        std::printf("apply_seccomp failed: %s\n", std::strerror(-rc));
        return 90;
      }
    }
    testing::print_probe_line("r", probe.call());
    return 0;
  });
  const auto lines = testing::parse_probe_lines(r.output);
  if (!r.ok() || !lines.count("r")) {
    *detail = r.describe();
    return -1;
  }
  return lines.at("r");
}

// Fork-like clone with extra flags; the child (if any) leaves at once.
int clone_probe(unsigned long flags) {
  const long rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0);
  if (rc > 0) {
    waitpid(static_cast<pid_t>(rc), nullptr, 0);
    return 0;
  }
  return errno;
}

int closing(long rc) {
  if (rc >= 0) {
    close(static_cast<int>(rc));
    return 0;
  }
  return errno;
}

#define SYSERR(...) errno_of(syscall(__VA_ARGS__))

void* const kBad = reinterpret_cast<void*>(1);  // invalid user pointer: EFAULT, never a write

std::vector<Probe> dangerous_probes() {
  return {
      {"unshare", [] { return SYSERR(SYS_unshare, CLONE_NEWUSER); }},
      {"setns", [] { return SYSERR(SYS_setns, -1, 0); }},
      {"mount", [] { return SYSERR(SYS_mount, nullptr, kBad, nullptr, 0, nullptr); }},
      {"umount2", [] { return SYSERR(SYS_umount2, kBad, 0); }},
      {"pivot_root", [] { return SYSERR(SYS_pivot_root, kBad, kBad); }},
      {"chroot", [] { return SYSERR(SYS_chroot, kBad); }},
      {"fsopen", [] { return SYSERR(SYS_fsopen, kBad, 0); }},
      {"fsconfig", [] { return SYSERR(SYS_fsconfig, -1, 0, nullptr, nullptr, 0); }},
      {"fsmount", [] { return SYSERR(SYS_fsmount, -1, 0, 0); }},
      {"fspick", [] { return SYSERR(SYS_fspick, -1, kBad, 0); }},
      {"move_mount", [] { return SYSERR(SYS_move_mount, -1, kBad, -1, kBad, 0); }},
      {"open_tree", [] { return SYSERR(SYS_open_tree, -1, kBad, 0); }},
      {"mount_setattr", [] { return SYSERR(SYS_mount_setattr, -1, kBad, 0, nullptr, 0); }},
      {"bpf", [] { return SYSERR(SYS_bpf, -1, nullptr, 0); }},
      {"perf_event_open", [] { return SYSERR(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }},
      {"userfaultfd", [] { return SYSERR(SYS_userfaultfd, ~0U); }},
      {"userfaultfd:user_mode_only", [] { return closing(syscall(SYS_userfaultfd, 1U)); }},
      {"io_uring_setup", [] { return SYSERR(SYS_io_uring_setup, 0, nullptr); }},
      {"io_setup", [] { return SYSERR(SYS_io_setup, 0, nullptr); }},
      {"io_uring_enter", [] { return SYSERR(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0); }},
      {"io_uring_register", [] { return SYSERR(SYS_io_uring_register, -1, 0, nullptr, 0); }},
      {"keyctl", [] { return SYSERR(SYS_keyctl, -1, 0, 0, 0, 0); }},
      {"add_key", [] { return SYSERR(SYS_add_key, kBad, kBad, nullptr, 0, 0); }},
      {"request_key", [] { return SYSERR(SYS_request_key, kBad, kBad, nullptr, 0); }},
      {"ptrace", [] { return SYSERR(SYS_ptrace, -1L, 0, 0, 0); }},
      {"process_vm_readv", [] { return SYSERR(SYS_process_vm_readv, getpid(), nullptr, 0, nullptr, 0, 1); }},
      {"process_vm_writev", [] { return SYSERR(SYS_process_vm_writev, getpid(), nullptr, 0, nullptr, 0, 1); }},
      {"process_madvise", [] { return SYSERR(SYS_process_madvise, -1, nullptr, 0, 0, 0); }},
      {"kcmp", [] { return SYSERR(SYS_kcmp, getpid(), getpid(), 99, 0, 0); }},
      {"pidfd_getfd", [] { return SYSERR(SYS_pidfd_getfd, -1, -1, 0); }},
      {"kexec_load", [] { return SYSERR(SYS_kexec_load, 0, 0, nullptr, ~0UL); }},
      {"kexec_file_load", [] { return SYSERR(SYS_kexec_file_load, -1, -1, 0, nullptr, ~0UL); }},
      {"init_module", [] { return SYSERR(SYS_init_module, nullptr, 0, kBad); }},
      {"finit_module", [] { return SYSERR(SYS_finit_module, -1, kBad, 0); }},
      {"delete_module", [] { return SYSERR(SYS_delete_module, kBad, 0); }},
      {"create_module", [] { return SYSERR(SYS_create_module, nullptr, 0); }},
      {"get_kernel_syms", [] { return SYSERR(SYS_get_kernel_syms, nullptr); }},
      {"query_module", [] { return SYSERR(SYS_query_module, nullptr, 0, nullptr, 0, nullptr); }},
      {"acct", [] { return SYSERR(SYS_acct, kBad); }},
      {"swapon", [] { return SYSERR(SYS_swapon, kBad, 0); }},
      {"swapoff", [] { return SYSERR(SYS_swapoff, kBad); }},
      {"reboot", [] { return SYSERR(SYS_reboot, 0, 0, 0, nullptr); }},  // wrong magic: EINVAL
      {"syslog", [] { return SYSERR(SYS_syslog, -1, nullptr, 0); }},
      {"lookup_dcookie", [] { return SYSERR(SYS_lookup_dcookie, 0, nullptr, 0); }},
      {"quotactl", [] { return SYSERR(SYS_quotactl, ~0U, nullptr, 0, nullptr); }},
      {"quotactl_fd", [] { return SYSERR(SYS_quotactl_fd, -1, 0, 0, nullptr); }},
      // Safe here: the probe child called setsid(), so it has no controlling terminal.
      {"vhangup", [] { return SYSERR(SYS_vhangup); }},
      {"iopl", [] { return SYSERR(SYS_iopl, 99); }},
      {"ioperm", [] { return SYSERR(SYS_ioperm, 0x10000UL, 1UL, 1); }},
      {"modify_ldt", [] { return SYSERR(SYS_modify_ldt, 99, nullptr, 0); }},
      {"uselib", [] { return SYSERR(SYS_uselib, kBad); }},
      {"nfsservctl", [] { return SYSERR(SYS_nfsservctl, 0, nullptr, nullptr); }},
      {"_sysctl", [] { return SYSERR(SYS__sysctl, nullptr); }},
      {"settimeofday", [] { return SYSERR(SYS_settimeofday, kBad, kBad); }},
      {"clock_settime", [] { return SYSERR(SYS_clock_settime, -1, nullptr); }},
      {"clock_adjtime", [] { return SYSERR(SYS_clock_adjtime, -1, nullptr); }},
      {"adjtimex", [] { return SYSERR(SYS_adjtimex, nullptr); }},
      {"fanotify_init", [] { return SYSERR(SYS_fanotify_init, ~0U, 0); }},
      {"open_by_handle_at", [] { return SYSERR(SYS_open_by_handle_at, -1, nullptr, 0); }},
      {"name_to_handle_at", [] { return SYSERR(SYS_name_to_handle_at, -1, kBad, nullptr, nullptr, 0); }},
  };
}

std::vector<Probe> argument_probes() {
  std::vector<Probe> v = {
      {"clone3", [] { return SYSERR(SYS_clone3, nullptr, 0); }, ENOSYS},
      {"clone:fork", [] { return clone_probe(0); }, 0},
      {"clone:thread-flags", [] { return clone_probe(CLONE_FS | CLONE_FILES | CLONE_SYSVSEM); }, 0},
      {"ioctl:TCGETS", [] { return SYSERR(SYS_ioctl, -1, TCGETS, nullptr); }, 0},
      {"ioctl:TIOCGWINSZ", [] { return SYSERR(SYS_ioctl, -1, TIOCGWINSZ, nullptr); }, 0},
      {"personality:query", [] { return SYSERR(SYS_personality, 0xffffffffUL); }, 0},
      {"personality:READ_IMPLIES_EXEC", [] { return SYSERR(SYS_personality, READ_IMPLIES_EXEC); }},
      {"personality:ADDR_NO_RANDOMIZE", [] { return SYSERR(SYS_personality, ADDR_NO_RANDOMIZE); }},
      {"mknod:chr", [] { return SYSERR(SYS_mknod, kBad, S_IFCHR | 0600, makedev(1, 3)); }},
      {"mknodat:blk", [] { return SYSERR(SYS_mknodat, AT_FDCWD, kBad, S_IFBLK | 0600, makedev(7, 0)); }},
      {"mknod:fifo", [] { return SYSERR(SYS_mknod, kBad, S_IFIFO | 0600, 0); }, 0},
      {"sendto:plain", [] { return SYSERR(SYS_sendto, -1, "x", 1, MSG_NOSIGNAL, nullptr, 0); }, 0},
      {"sendto:fastopen", [] { return SYSERR(SYS_sendto, -1, "x", 1, MSG_FASTOPEN, nullptr, 0); }},
      {"sendmsg:fastopen", [] { return SYSERR(SYS_sendmsg, -1, nullptr, MSG_FASTOPEN); }},
      {"sendmmsg:fastopen", [] { return SYSERR(SYS_sendmmsg, -1, nullptr, 1, MSG_FASTOPEN); }},
      // Set-id modes (probe T03: through an idmapped writable path a set-uid file would be
      // set-uid-root on the host). Bad paths / fds: unfiltered they fail with EFAULT / EBADF.
      {"chmod:setuid", [] { return SYSERR(SYS_chmod, kBad, 04755); }},
      {"chmod:setgid", [] { return SYSERR(SYS_chmod, kBad, 02755); }},
      {"chmod:plain", [] { return SYSERR(SYS_chmod, kBad, 0755); }, 0},
      {"fchmod:setuid", [] { return SYSERR(SYS_fchmod, -1, 04755); }},
      {"fchmodat:setuid", [] { return SYSERR(SYS_fchmodat, AT_FDCWD, kBad, 04755); }},
      {"fchmodat2:setgid", [] { return SYSERR(kSysFchmodat2, AT_FDCWD, kBad, 02755, 0); }},
      {"open:creat+setuid", [] { return SYSERR(SYS_open, kBad, O_CREAT | O_WRONLY, 04755); }},
      {"openat:tmpfile+setgid", [] { return SYSERR(SYS_openat, AT_FDCWD, kBad, O_TMPFILE | O_WRONLY, 02755); }},
      {"openat:creat-plain", [] { return SYSERR(SYS_openat, AT_FDCWD, kBad, O_CREAT | O_WRONLY, 0644); }, 0},
      {"openat:read+garbage-mode", [] { return SYSERR(SYS_openat, AT_FDCWD, kBad, O_RDONLY, 04755); }, 0},
      {"creat:setuid", [] { return SYSERR(SYS_creat, kBad, 04755); }},
      {"mknod:reg+setuid", [] { return SYSERR(SYS_mknod, kBad, S_IFREG | 04755, 0); }},
      {"mknod:reg-plain", [] { return SYSERR(SYS_mknod, kBad, S_IFREG | 0644, 0); }, 0},
      {"openat2", [] { return SYSERR(SYS_openat2, AT_FDCWD, kBad, nullptr, 0); }, ENOSYS},
  };
  const std::pair<const char*, unsigned long> ns_flags[] = {
      {"newuser", CLONE_NEWUSER}, {"newns", CLONE_NEWNS},   {"newpid", CLONE_NEWPID},
      {"newnet", CLONE_NEWNET},   {"newuts", CLONE_NEWUTS}, {"newipc", CLONE_NEWIPC},
      {"newcgroup", CLONE_NEWCGROUP}};
  for (const auto& [n, f] : ns_flags) {
    const unsigned long flag = f;
    v.push_back({std::string("clone:") + n, [flag] { return clone_probe(flag); }});
  }
  v.push_back({"clone:newuser+high-bits", [] { return clone_probe(CLONE_NEWUSER | (1UL << 40)); }});
  const std::pair<const char*, unsigned long> cmds[] = {
      {"TIOCSTI", TIOCSTI}, {"TIOCLINUX", TIOCLINUX}, {"TIOCSETD", TIOCSETD}, {"TIOCCONS", TIOCCONS}};
  for (const auto& [n, c] : cmds) {
    const unsigned long cmd = c;
    v.push_back({std::string("ioctl:") + n, [cmd] { return SYSERR(SYS_ioctl, -1, cmd, nullptr); }});
    // The kernel truncates cmd to 32 bits; the filter must not be fooled by the upper half.
    v.push_back({std::string("ioctl:") + n + "+high-bits",
                 [cmd] { return SYSERR(SYS_ioctl, -1, cmd | (1UL << 32), nullptr); }});
  }
  struct Sock {
    const char* name;
    long domain, type, protocol;
    int blocked;
  };
  const Sock socks[] = {
      {"AF_UNIX/stream", AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0},
      {"AF_UNIX/dgram", AF_UNIX, SOCK_DGRAM, 0, 0},
      {"AF_INET/stream", AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0},
      {"AF_INET/dgram", AF_INET, SOCK_DGRAM, 0, 0},
      {"AF_INET6/stream", AF_INET6, SOCK_STREAM, 0, 0},
      {"AF_NETLINK/route", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE, 0},
      {"AF_PACKET", AF_PACKET, SOCK_RAW, 0, EPERM},
      {"AF_PACKET+high-bits", AF_PACKET | (1L << 32), SOCK_RAW, 0, EPERM},
      {"AF_VSOCK", AF_VSOCK, SOCK_STREAM, 0, EPERM},
      {"AF_KEY", AF_KEY, SOCK_RAW, 2 /* PF_KEY_V2 */, EPERM},
      {"AF_ALG", AF_ALG, SOCK_SEQPACKET, 0, EPERM},
      {"AF_BLUETOOTH", AF_BLUETOOTH, SOCK_RAW, 1, EPERM},
      {"AF_APPLETALK", AF_APPLETALK, SOCK_DGRAM, 0, EPERM},
      {"AF_XDP", AF_XDP, SOCK_RAW, 0, EPERM},
      {"AF_NETLINK/audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, EPERM},
      {"AF_NETLINK/netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER, EPERM},
      {"AF_NETLINK/xfrm", AF_NETLINK, SOCK_RAW, NETLINK_XFRM, EPERM},
      {"AF_INET/raw", AF_INET, SOCK_RAW, 1 /* ICMP */, EPERM},
      {"AF_INET6/raw", AF_INET6, SOCK_RAW, 58 /* ICMPv6 */, EPERM},
      {"AF_INET/packet", AF_INET, SOCK_PACKET, 0x0300, EPERM},
  };
  for (const auto& s : socks) {
    v.push_back({std::string("socket:") + s.name,
                 [s] { return closing(syscall(SYS_socket, s.domain, s.type, s.protocol)); },
                 s.blocked});
  }
  return v;
}

// For each probe: blocked (or allowed) as declared under the filter; without the filter the
// blocked ones must NOT give that answer (the negative control).
void check_probes(const process::PreparedSeccomp& filter, const std::vector<Probe>& probes) {
  ASSERT_FALSE(filter.empty());
  for (const auto& p : probes) {
    std::string detail;
    const int with = run_probe(&filter, p, &detail);
    ASSERT_GE(with, 0) << p.name << ": " << detail;
    const int without = run_probe(nullptr, p, &detail);
    ASSERT_GE(without, 0) << p.name << " (unfiltered): " << detail;
    if (std::getenv("KAVACH_TEST_VERBOSE")) {
      std::cout << "[ probe ] " << p.name << ": filtered " << err_name(with) << ", unfiltered "
                << err_name(without) << "\n";
    }
    if (p.blocked_errno != 0) {
      EXPECT_EQ(with, p.blocked_errno)
          << p.name << " under the filter gave " << err_name(with) << ", want "
          << err_name(p.blocked_errno);
      EXPECT_NE(without, p.blocked_errno)
          << p.name << " without the filter also gave " << err_name(without)
          << " — the probe cannot tell the filter from the host";
    } else {
      EXPECT_EQ(with, without) << p.name << " must stay allowed: filtered " << err_name(with)
                               << ", unfiltered " << err_name(without);
    }
  }
}

class SeccompKernel : public ::testing::TestWithParam<SeccompMode> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "negative controls need root (privileged calls give EPERM anyway)";
  }
};

TEST_P(SeccompKernel, DangerousSetIsDenied) {
  check_probes(prepared(GetParam()), dangerous_probes());
}

TEST_P(SeccompKernel, ArgumentRules) {
  check_probes(prepared(GetParam()), argument_probes());
}

INSTANTIATE_TEST_SUITE_P(Modes, SeccompKernel,
                         ::testing::Values(SeccompMode::basic, SeccompMode::strict),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

// Adding a name to the dangerous set without a kernel probe would go untested.
TEST(SeccompKernelCoverage, EveryDangerousSyscallHasAProbe) {
  std::set<std::string> probed;
  for (const auto& p : dangerous_probes()) probed.insert(p.name.substr(0, p.name.find(':')));
  for (auto n : dangerous_syscalls()) {
    if (is_known_syscall(n)) {
      EXPECT_TRUE(probed.count(std::string(n))) << n << " has no probe";
    }
  }
}

TEST(SeccompKernel2, MemfdExecFollowsPolicy) {
  // Copy /bin/true into a memfd and execute it from there.
  auto exec_memfd = [](unsigned flags) {
    const int fd = static_cast<int>(syscall(SYS_memfd_create, "kavach-probe", flags));
    if (fd < 0) return 100 + errno;
    std::ifstream in("/bin/true", std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return 99;
    char* const argv[] = {const_cast<char*>("true"), nullptr};
    char* const envp[] = {nullptr};
    fexecve(fd, argv, envp);
    return 200 + errno;
  };
  auto run = [&](const process::PreparedSeccomp& f, unsigned flags) {
    return run_in_child([&] {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (process::apply_seccomp(f) != 0) return 90;
      return exec_memfd(flags);
    });
  };
  const auto deny = prepared(SeccompMode::strict, /*memfd_exec=*/false);
  const auto allow = prepared(SeccompMode::strict, /*memfd_exec=*/true);
  // Negative control: with memfd exec allowed, the memfd runs.
  auto r = run(allow, MFD_CLOEXEC);
  EXPECT_TRUE(r.ok()) << r.describe();
  // Denied: a plain memfd cannot be created at all ...
  r = run(deny, MFD_CLOEXEC);
  EXPECT_EQ(r.exit_code, 100 + EPERM) << r.describe();
  // ... and the permitted sealed one cannot be executed (the kernel refuses, EACCES).
  r = run(deny, MFD_CLOEXEC | kMfdNoexecSeal);
  EXPECT_EQ(r.exit_code, 200 + EACCES) << r.describe();
  // Same under basic.
  r = run(prepared(SeccompMode::basic, false), MFD_CLOEXEC);
  EXPECT_EQ(r.exit_code, 100 + EPERM) << r.describe();
}

long i386_getpid() {
  long ret = 0;
  // int $0x80 enters the i386 compat ABI: eax 20 is getpid there.
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

TEST(SeccompKernel2, ForeignAbisAreKilled) {
  for (SeccompMode mode : {SeccompMode::basic, SeccompMode::strict}) {
    const auto f = prepared(mode);
    auto i386 = [](const process::PreparedSeccomp* filter) {
      return run_in_child([filter] {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (filter && process::apply_seccomp(*filter) != 0) return 90;
        return i386_getpid() == getpid() ? 0 : 1;
      });
    };
    auto x32 = [](const process::PreparedSeccomp* filter) {
      return run_in_child([filter] {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (filter && process::apply_seccomp(*filter) != 0) return 90;
        const long rc = syscall(0x40000000L | SYS_getpid);  // x32 getpid
        return rc == getpid() ? 0 : (errno == ENOSYS ? 38 : 1);
      });
    };
    auto open_i386 = i386(nullptr);
    if (!open_i386.ok()) {
      std::cout << "[ info ] int 0x80 unavailable on this kernel: " << open_i386.describe();
    } else {
      auto r = i386(&f);
      EXPECT_EQ(r.signal, SIGSYS) << to_string(mode) << " i386: " << r.describe();
    }
    auto open_x32 = x32(nullptr);
    std::cout << "[ info ] x32 without filter: "
              << (open_x32.ok() ? "reachable" : "not reachable (kernel without x32)") << "\n";
    auto r = x32(&f);
    EXPECT_EQ(r.signal, SIGSYS) << to_string(mode) << " x32: " << r.describe();
  }
}

std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return {};
}

TEST(SeccompKernel2, StatusShowsFilterMode) {
  auto read_status = [](const process::PreparedSeccomp* f) {
    return run_in_child([f] {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (f && process::apply_seccomp(*f) != 0) return 90;
      std::ifstream in("/proc/self/status");
      std::cout << in.rdbuf();
      return 0;
    });
  };
  const auto f = prepared(SeccompMode::strict);
  auto with = read_status(&f);
  ASSERT_TRUE(with.ok()) << with.describe();
  EXPECT_EQ(status_field(with.output, "Seccomp"), "2");
  auto without = read_status(nullptr);
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(status_field(without.output, "Seccomp"), "0");
}

// C10/C11: sandboxed code may stack its own filter (positive control), but an allow-all filter
// on top does not re-allow anything: the kernel takes the strictest answer of all filters.
TEST(SeccompKernel2, StackedPermissiveFilterReallowsNothing) {
  auto run = [](const process::PreparedSeccomp* f) {
    return run_in_child([f] {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (f && process::apply_seccomp(*f) != 0) return 90;
      process::PreparedSeccomp allow_all;
      allow_all.bpf = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
      if (process::apply_seccomp(allow_all) != 0) return 91;
      return errno_of(syscall(SYS_bpf, -1, nullptr, 0));
    });
  };
  for (SeccompMode mode : {SeccompMode::basic, SeccompMode::strict}) {
    const auto f = prepared(mode);
    auto r = run(&f);
    EXPECT_EQ(r.exit_code, EPERM) << to_string(mode) << ": " << r.describe();
  }
  auto r = run(nullptr);
  EXPECT_EQ(r.exit_code, EINVAL) << r.describe();
}

TEST(SeccompKernel2, ExtraAllowAndDenyReachTheKernel) {
  SeccompPolicy p;
  p.mode = SeccompMode::strict;
  p.extra_deny = {"uname"};
  const auto strict_no_uname = prepared(p);
  p.mode = SeccompMode::basic;
  p.extra_deny = {};
  p.extra_allow = {"ptrace"};
  const auto basic_ptrace = prepared(p);
  auto probe = [](const process::PreparedSeccomp* f, long nr) {
    return run_in_child([f, nr] {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (f && process::apply_seccomp(*f) != 0) return 90;
      return nr == SYS_uname ? errno_of(syscall(SYS_uname, nullptr))
                             : errno_of(syscall(SYS_ptrace, -1L, 0, 0, 0));
    });
  };
  EXPECT_EQ(probe(&strict_no_uname, SYS_uname).exit_code, EPERM);
  EXPECT_EQ(probe(nullptr, SYS_uname).exit_code, EFAULT);
  const int unfiltered_ptrace = probe(nullptr, SYS_ptrace).exit_code;
  EXPECT_EQ(probe(&basic_ptrace, SYS_ptrace).exit_code, unfiltered_ptrace);
  const auto basic = prepared(SeccompMode::basic);
  EXPECT_EQ(probe(&basic, SYS_ptrace).exit_code, EPERM);
}

}  // namespace
}  // namespace kavach
