// The neutral seccomp programs: data sanity, argument-rule complements (evaluated on the model),
// user errors. The real kernel behaviour is tested in tests/integration/process/.
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <linux/netlink.h>

#include <array>
#include <map>
#include <random>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/seccomp_arg_rules.hpp"
#include "kavach/syscalls.hpp"

namespace kavach {
namespace {

using Args = std::array<std::uint64_t, 6>;

bool holds(const ArgCond& c, const Args& a) {
  switch (c.op) {
    case ArgOp::eq: return a[c.index] == c.value;
    case ArgOp::ne: return a[c.index] != c.value;
    case ArgOp::masked_eq: return (a[c.index] & c.mask) == c.value;
  }
  return false;
}

// The program's meaning: a matching rule decides (the invariant guarantees one action per
// name), otherwise the default.
SeccompAction evaluate(const SeccompProgram& p, std::string_view name, const Args& a = {}) {
  for (const auto& r : p.rules) {
    if (r.name != name) continue;
    bool all = true;
    for (const auto& c : r.conds) all = all && holds(c, a);
    if (all) return r.action;
  }
  return p.default_action;
}

SeccompProgram build(SeccompMode mode, bool memfd_exec = true) {
  SeccompPolicy p;
  p.mode = mode;
  p.allow_memfd_exec = memfd_exec;
  auto prog = build_seccomp_program(p);
  EXPECT_TRUE(prog.has_value()) << (prog ? "" : prog.error().describe());
  return prog ? *prog : SeccompProgram{};
}

constexpr std::uint64_t kHigh = std::uint64_t{1} << 32;

TEST(SyscallGroups, NoDuplicatesAndDisjoint) {
  std::set<std::string_view> strict(strict_allowlist_syscalls().begin(),
                                    strict_allowlist_syscalls().end());
  EXPECT_EQ(strict.size(), strict_allowlist_syscalls().size()) << "duplicate in strict allowlist";
  std::set<std::string_view> danger(dangerous_syscalls().begin(), dangerous_syscalls().end());
  EXPECT_EQ(danger.size(), dangerous_syscalls().size()) << "duplicate in dangerous set";
  for (auto n : danger) EXPECT_FALSE(strict.count(n)) << n << " is both allowed and dangerous";
  EXPECT_FALSE(strict.count("clone3"));
}

TEST(SyscallGroups, EssentialNamesKnownToThisAbi) {
  for (const char* n : {"execve", "read", "write", "mmap", "rseq", "clone", "openat", "statx",
                        "newfstatat", "faccessat2", "close_range", "prlimit64", "getrandom",
                        "bpf", "unshare", "io_uring_setup", "open_by_handle_at"}) {
    EXPECT_TRUE(is_known_syscall(n)) << n;
  }
  EXPECT_FALSE(is_known_syscall("no_such_syscall_kavach"));
  EXPECT_FALSE(is_known_syscall(""));
}

// field_not_in must cover exactly the complement, with disjoint cubes; checked exhaustively.
TEST(ArgRules, FieldCubesAreExactDisjointComplement) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint64_t> values;
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) values.push_back(rng() % 256);
    const unsigned shift = static_cast<unsigned>(rng() % 4);
    auto in = seccomp_detail::field_in(2, shift, 8, values);
    auto out = seccomp_detail::field_not_in(2, shift, 8, values);
    const std::set<std::uint64_t> set(values.begin(), values.end());
    for (std::uint64_t x = 0; x < 256; ++x) {
      Args a{};
      // Noise outside the field must not matter.
      a[2] = (x << shift) | (rng() % 2 ? (kHigh | ((std::uint64_t{1} << shift) - 1)) : 0);
      int in_hits = 0;
      int out_hits = 0;
      for (const auto& c : in) in_hits += holds(c, a);
      for (const auto& c : out) out_hits += holds(c, a);
      EXPECT_EQ(in_hits, set.count(x) ? 1 : 0) << "x=" << x;
      EXPECT_EQ(out_hits, set.count(x) ? 0 : 1) << "x=" << x;
    }
  }
}

// Values worth probing for each argument of the filtered syscalls.
std::vector<std::uint64_t> probe_values(std::mt19937& rng) {
  std::vector<std::uint64_t> v = {0,          1,          2,        3,          8,
                                  9,          10,         15,       16,         17,
                                  AF_PACKET,  AF_VSOCK,   AF_KEY,   AF_ALG,     AF_BLUETOOTH,
                                  AF_XDP,     AF_APPLETALK, NETLINK_AUDIT, SOCK_RAW, SOCK_PACKET,
                                  SOCK_STREAM | SOCK_CLOEXEC, SOCK_DGRAM | SOCK_NONBLOCK,
                                  SOCK_SEQPACKET, TIOCSTI, TIOCLINUX, TIOCSETD, TIOCCONS,
                                  TIOCSTI + 1, TCGETS, PER_LINUX32, UNAME26, READ_IMPLIES_EXEC,
                                  ADDR_NO_RANDOMIZE, 0xffffffffU, S_IFCHR, S_IFBLK, S_IFIFO,
                                  S_IFREG | 0644, S_IFSOCK, S_IFDIR, CLONE_NEWUSER | SIGCHLD,
                                  CLONE_NEWNET, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND,
                                  SIGCHLD, 0x0008 /* MFD_NOEXEC_SEAL */, 0x0001,
                                  MSG_FASTOPEN, MSG_FASTOPEN | MSG_NOSIGNAL, MSG_DONTWAIT};
  const std::size_t base = v.size();
  for (std::size_t i = 0; i < base; ++i) v.push_back(v[i] | kHigh);
  for (int i = 0; i < 40; ++i) v.push_back(rng());
  return v;
}

// basic (deny-form) and strict (permit-form) must agree on every argument-filtered syscall:
// they are two spellings of one rule.
TEST(ArgRules, BasicAndStrictAgreeOnArgumentRules) {
  std::mt19937 rng(7);
  const auto values = probe_values(rng);
  for (bool memfd_exec : {true, false}) {
    const auto basic = build(SeccompMode::basic, memfd_exec);
    const auto strict = build(SeccompMode::strict, memfd_exec);
    for (const auto& f : seccomp_detail::argument_filters(memfd_exec)) {
      for (unsigned arg = 0; arg < 4; ++arg) {
        for (std::uint64_t x : values) {
          for (std::uint64_t y : {std::uint64_t{0}, std::uint64_t{SOCK_STREAM},
                                  std::uint64_t{SOCK_RAW}, std::uint64_t{TIOCSTI}}) {
            Args a{};
            a[arg] = x;
            a[(arg + 1) % 4] = y;
            const bool basic_allows = evaluate(basic, f.name, a) == SeccompAction::allow;
            const bool strict_allows = evaluate(strict, f.name, a) == SeccompAction::allow;
            ASSERT_EQ(basic_allows, strict_allows)
                << f.name << " arg" << arg << "=" << std::hex << x << " other=" << y;
          }
        }
      }
    }
  }
}

TEST(SeccompProgram, StrictDecisions) {
  const auto p = build(SeccompMode::strict, /*memfd_exec=*/false);
  EXPECT_EQ(p.default_action, SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "read"), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "execve"), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "clone3"), SeccompAction::errno_enosys);
  for (auto n : dangerous_syscalls()) EXPECT_EQ(evaluate(p, n), SeccompAction::errno_eperm) << n;
  // clone: threads and fork yes, any namespace no (also with garbage high bits).
  EXPECT_EQ(evaluate(p, "clone", {SIGCHLD}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "clone", {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                  CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                                  CLONE_CHILD_CLEARTID}),
            SeccompAction::allow);
  for (std::uint64_t ns : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
                           CLONE_NEWIPC, CLONE_NEWCGROUP}) {
    EXPECT_EQ(evaluate(p, "clone", {ns | SIGCHLD}), SeccompAction::errno_eperm) << ns;
    EXPECT_EQ(evaluate(p, "clone", {ns | kHigh}), SeccompAction::errno_eperm) << ns;
  }
  // ioctl: the four terminal commands, also hidden behind high bits.
  for (std::uint64_t cmd : {TIOCSTI, TIOCLINUX, TIOCSETD, TIOCCONS}) {
    EXPECT_EQ(evaluate(p, "ioctl", {0, cmd}), SeccompAction::errno_eperm) << cmd;
    EXPECT_EQ(evaluate(p, "ioctl", {0, cmd | kHigh}), SeccompAction::errno_eperm) << cmd;
    EXPECT_EQ(evaluate(p, "ioctl", {0, cmd | (0xffffffffULL << 32)}), SeccompAction::errno_eperm);
  }
  EXPECT_EQ(evaluate(p, "ioctl", {1, TCGETS}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "ioctl", {1, TIOCSTI + 1}), SeccompAction::allow);
  // socket
  EXPECT_EQ(evaluate(p, "socket", {AF_UNIX, SOCK_STREAM}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "socket", {AF_INET, SOCK_STREAM | SOCK_CLOEXEC}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "socket", {AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "socket", {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "socket", {AF_NETLINK, SOCK_RAW, NETLINK_AUDIT}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "socket", {AF_INET, SOCK_RAW, 1}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "socket", {AF_INET, SOCK_PACKET}), SeccompAction::errno_eperm);
  for (std::uint64_t fam : {AF_PACKET, AF_VSOCK, AF_KEY, AF_ALG, AF_BLUETOOTH, AF_APPLETALK, AF_XDP}) {
    EXPECT_EQ(evaluate(p, "socket", {fam, SOCK_DGRAM}), SeccompAction::errno_eperm) << fam;
    EXPECT_EQ(evaluate(p, "socket", {fam | kHigh, SOCK_DGRAM}), SeccompAction::errno_eperm) << fam;
  }
  // personality
  EXPECT_EQ(evaluate(p, "personality", {0xffffffffU}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "personality", {PER_LINUX}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "personality", {READ_IMPLIES_EXEC}), SeccompAction::errno_eperm);
  // device nodes
  EXPECT_EQ(evaluate(p, "mknodat", {0, 0, S_IFIFO | 0600}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "mknodat", {0, 0, S_IFCHR | 0600}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "mknod", {0, S_IFBLK | 0600}), SeccompAction::errno_eperm);
  // TCP Fast Open sends (an implicit connect Landlock does not see)
  EXPECT_EQ(evaluate(p, "sendto", {3, 0, 1, MSG_NOSIGNAL}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "sendto", {3, 0, 1, MSG_FASTOPEN}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "sendmsg", {3, 0, MSG_FASTOPEN | MSG_DONTWAIT}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "sendmmsg", {3, 0, 1, MSG_FASTOPEN}), SeccompAction::errno_eperm);
  // memfd: only sealed non-executable ones when memfd exec is not allowed
  EXPECT_EQ(evaluate(p, "memfd_create", {0, 0x0001}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "memfd_create", {0, 0x0008 | 0x0001}), SeccompAction::allow);
  EXPECT_EQ(evaluate(build(SeccompMode::strict, true), "memfd_create", {0, 0x1}),
            SeccompAction::allow);
}

TEST(SeccompProgram, BasicDecisions) {
  const auto p = build(SeccompMode::basic);
  EXPECT_EQ(p.default_action, SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "read"), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "sethostname"), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "clone3"), SeccompAction::errno_enosys);
  for (auto n : dangerous_syscalls()) {
    if (is_known_syscall(n)) {
      EXPECT_EQ(evaluate(p, n), SeccompAction::errno_eperm) << n;
    }
  }
  EXPECT_EQ(evaluate(p, "clone", {CLONE_NEWUSER | SIGCHLD}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "ioctl", {0, TIOCSTI | kHigh}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "socket", {AF_VSOCK, SOCK_STREAM}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "personality", {READ_IMPLIES_EXEC}), SeccompAction::errno_eperm);
}

// Every built program satisfies what the libseccomp translation relies on.
TEST(SeccompProgram, OneActionPerSyscallAndNeverTheDefault) {
  for (SeccompMode mode : {SeccompMode::basic, SeccompMode::strict}) {
    for (bool memfd : {true, false}) {
      const auto p = build(mode, memfd);
      std::map<std::string, SeccompAction> seen;
      for (const auto& r : p.rules) {
        EXPECT_NE(r.action, p.default_action) << r.name;
        auto [it, ok] = seen.emplace(r.name, r.action);
        EXPECT_EQ(it->second, r.action) << r.name << " mixes actions";
        EXPECT_TRUE(is_known_syscall(r.name)) << r.name;
        std::set<unsigned> args;
        for (const auto& c : r.conds) {
          EXPECT_TRUE(args.insert(c.index).second) << r.name << ": two conditions on one arg";
        }
      }
    }
  }
}

TEST(SeccompProgram, ExtraAllowAndDeny) {
  SeccompPolicy p;
  p.mode = SeccompMode::strict;
  p.extra_allow = {"ptrace"};
  p.extra_deny = {"uname"};
  auto prog = build_seccomp_program(p);
  ASSERT_TRUE(prog) << prog.error().describe();
  EXPECT_EQ(evaluate(*prog, "ptrace"), SeccompAction::allow);
  EXPECT_EQ(evaluate(*prog, "uname"), SeccompAction::errno_eperm);

  p.mode = SeccompMode::basic;
  prog = build_seccomp_program(p);
  ASSERT_TRUE(prog) << prog.error().describe();
  EXPECT_EQ(evaluate(*prog, "ptrace"), SeccompAction::allow);
  EXPECT_EQ(evaluate(*prog, "uname"), SeccompAction::errno_eperm);
  // Argument rules stay even when the name is extra-allowed.
  p.extra_allow = {"ioctl"};
  p.extra_deny = {};
  prog = build_seccomp_program(p);
  ASSERT_TRUE(prog);
  EXPECT_EQ(evaluate(*prog, "ioctl", {0, TIOCSTI}), SeccompAction::errno_eperm);
}

// seccomp "none" is no policy filter, but the host-safety rules hold in every mode (issue 12,
// item 1): no set-id file, no device node can be made through any creating or chmod-ing call.
TEST(SeccompProgram, NoneStillCarriesTheHostSafetyRules) {
  for (SeccompMode mode : {SeccompMode::none, SeccompMode::basic, SeccompMode::strict}) {
    const auto p = build(mode);
    SCOPED_TRACE(std::string(to_string(mode)));
    for (const char* chmod_like : {"chmod", "fchmod"}) {
      EXPECT_EQ(evaluate(p, chmod_like, {0, 04755}), SeccompAction::errno_eperm);
      EXPECT_EQ(evaluate(p, chmod_like, {0, 02755}), SeccompAction::errno_eperm);
      EXPECT_EQ(evaluate(p, chmod_like, {0, 0755}), SeccompAction::allow);
    }
    EXPECT_EQ(evaluate(p, "fchmodat", {0, 0, 06755}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "fchmodat2", {0, 0, 04755, 0}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "openat", {0, 0, O_CREAT | O_WRONLY, 04755}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "openat", {0, 0, O_RDONLY, 04755}), SeccompAction::allow) << "mode ignored without O_CREAT";
    EXPECT_EQ(evaluate(p, "open", {0, O_CREAT, 02700}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "creat", {0, 04755}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "mknodat", {0, 0, S_IFCHR | 0666, 0}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "mknodat", {0, 0, S_IFREG | 04755, 0}), SeccompAction::errno_eperm);
    EXPECT_EQ(evaluate(p, "mknod", {0, S_IFIFO | 0644, 0}), SeccompAction::allow);
    EXPECT_EQ(evaluate(p, "openat2"), SeccompAction::errno_enosys);
    EXPECT_EQ(evaluate(p, "io_uring_setup"), SeccompAction::errno_eperm);
  }
  const auto none = build(SeccompMode::none);
  EXPECT_EQ(none.default_action, SeccompAction::allow);
  EXPECT_EQ(evaluate(none, "ptrace"), SeccompAction::allow) << "none adds no policy denials";
  EXPECT_EQ(evaluate(none, "clone3"), SeccompAction::allow);
  SeccompPolicy p;
  p.mode = SeccompMode::none;
  p.extra_deny = {"uname"};
  auto prog = build_seccomp_program(p);
  ASSERT_TRUE(prog);
  EXPECT_EQ(evaluate(*prog, "uname"), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(*prog, "read"), SeccompAction::allow);
}

// Linux AIO charges the host-wide fs.aio-max-nr (issue 12, item 8): basic and strict refuse it.
TEST(SeccompProgram, AioContextsAreRefusedByBasicAndStrict) {
  EXPECT_EQ(evaluate(build(SeccompMode::basic), "io_setup"), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(build(SeccompMode::strict), "io_setup"), SeccompAction::errno_eperm);
}

// The guard's trap program: path-creating and write opens go to the guard, reads do not.
TEST(GuardTrapProgram, TrapsWhatCanCreateOrChangeAPath) {
  const SeccompProgram& p = guard_trap_program();
  EXPECT_EQ(p.default_action, SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "openat", {0, 0, O_RDONLY, 0}), SeccompAction::allow);
  for (std::uint64_t flags : {std::uint64_t{O_WRONLY}, std::uint64_t{O_RDWR}, std::uint64_t{O_CREAT},
                              std::uint64_t{O_TRUNC}, std::uint64_t{O_RDONLY | O_CREAT | O_EXCL}}) {
    EXPECT_EQ(evaluate(p, "openat", {0, 0, flags, 0}), SeccompAction::notify) << flags;
    EXPECT_EQ(evaluate(p, "open", {0, flags, 0}), SeccompAction::notify) << flags;
  }
  for (const char* name : {"creat", "mkdirat", "mknodat", "symlinkat", "linkat", "renameat2", "fchmodat",
                           "fchmod", "truncate"}) {
    EXPECT_EQ(evaluate(p, name), SeccompAction::notify) << name;
  }
  for (const char* name : {"unshare", "setns", "chroot", "mount"}) {
    EXPECT_EQ(evaluate(p, name), SeccompAction::errno_eperm) << name;
  }
  EXPECT_EQ(evaluate(p, "clone", {CLONE_NEWNS}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(p, "clone", {CLONE_VM | CLONE_THREAD}), SeccompAction::allow);
  EXPECT_EQ(evaluate(p, "unlink"), SeccompAction::allow);
}

TEST(SeccompProgram, CustomAllowlist) {
  SeccompPolicy p;
  p.mode = SeccompMode::custom;
  p.custom_allow = {"execve", "read", "write", "exit_group", "ioctl"};
  auto prog = build_seccomp_program(p);
  ASSERT_TRUE(prog) << prog.error().describe();
  EXPECT_EQ(evaluate(*prog, "read"), SeccompAction::allow);
  EXPECT_EQ(evaluate(*prog, "openat"), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(*prog, "ioctl", {0, TIOCSTI}), SeccompAction::errno_eperm);
  EXPECT_EQ(evaluate(*prog, "ioctl", {0, TCGETS}), SeccompAction::allow);
  EXPECT_EQ(evaluate(*prog, "clone3"), SeccompAction::errno_enosys);
}

void expect_error(const SeccompPolicy& p, ErrorCode code, const std::string& needle) {
  auto prog = build_seccomp_program(p);
  ASSERT_FALSE(prog.has_value()) << "expected an error mentioning " << needle;
  EXPECT_EQ(prog.error().code, code) << prog.error().describe();
  EXPECT_NE(prog.error().message.find(needle), std::string::npos) << prog.error().message;
}

TEST(SeccompProgram, UserErrorsAreNamed) {
  SeccompPolicy p;
  p.mode = SeccompMode::strict;
  p.extra_allow = {"read", "frobnicate_kavach"};
  expect_error(p, ErrorCode::unknown_syscall, "frobnicate_kavach");
  EXPECT_EQ(build_seccomp_program(p).error().context.at("key"), "seccomp.extra_allow");

  p.extra_allow = {};
  p.extra_deny = {"nosuchcall"};
  expect_error(p, ErrorCode::unknown_syscall, "nosuchcall");

  p = {};
  p.mode = SeccompMode::custom;
  p.custom_allow = {"execve", "opne"};
  expect_error(p, ErrorCode::unknown_syscall, "opne");

  p.custom_allow = {"read", "write"};
  expect_error(p, ErrorCode::policy_value, "execve");
  p.custom_allow = {};
  expect_error(p, ErrorCode::policy_value, "non-empty");
  p.custom_allow = {"execve", "clone3"};
  expect_error(p, ErrorCode::policy_value, "clone3");

  p = {};
  p.mode = SeccompMode::basic;
  p.extra_allow = {"clone3"};
  expect_error(p, ErrorCode::policy_value, "clone3");
  p.extra_allow = {"ptrace"};
  p.extra_deny = {"ptrace"};
  expect_error(p, ErrorCode::policy_value, "ptrace");
}

TEST(SeccompProgram, DescriptionsCountRules) {
  const auto strict = build(SeccompMode::strict, false);
  const auto basic = build(SeccompMode::basic, false);
  EXPECT_NE(strict.description.find(std::to_string(strict.rules.size()) + " rules"),
            std::string::npos)
      << strict.description;
  EXPECT_NE(basic.description.find(std::to_string(basic.rules.size()) + " rules"), std::string::npos)
      << basic.description;
  std::cout << "[ info ] " << strict.description << "\n[ info ] " << basic.description << "\n";
}

// What no filter can read cannot be allowed: the rules above would not see it.
TEST(SeccompProgram, UnfilterableSyscallsCannotBeAllowed) {
  for (SeccompMode mode : {SeccompMode::basic, SeccompMode::strict}) {
    for (const char* name : {"clone3", "openat2", "io_uring_setup", "io_uring_enter", "io_uring_register"}) {
      SeccompPolicy p;
      p.mode = mode;
      p.extra_allow = {name};
      expect_error(p, ErrorCode::policy_value, std::string(name) + " cannot be allowed");
    }
  }
  SeccompPolicy custom;
  custom.mode = SeccompMode::custom;
  custom.custom_allow = {"execve", "openat2"};
  expect_error(custom, ErrorCode::policy_value, "openat2 cannot be allowed");
}

}  // namespace
}  // namespace kavach
