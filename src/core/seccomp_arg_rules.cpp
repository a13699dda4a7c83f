// Argument rules: clone namespaces, terminal-injection ioctls, socket families, personality,
// device nodes, set-id modes and executable memfds. See seccomp_arg_rules.hpp for why each exists twice.
#include "seccomp_arg_rules.hpp"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <linux/netlink.h>

#include <algorithm>
#include <iterator>

namespace kavach::seccomp_detail {
namespace {

// linux/memfd.h of Debian 12 (6.1 headers) predates it (kernel 6.3).
constexpr std::uint64_t kMfdNoexecSeal = 0x0008U;

constexpr std::uint64_t low_bits(unsigned n) {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

ArgCond masked(unsigned arg, std::uint64_t mask, std::uint64_t value) {
  return ArgCond{arg, ArgOp::masked_eq, value & mask, mask};
}

// Walk the binary trie of `values` from the field's top bit; every subtree without a listed
// value becomes one cube (fixed prefix, free suffix).
void cubes(unsigned arg, unsigned shift, unsigned width, const std::vector<std::uint64_t>& values,
           unsigned depth, std::uint64_t prefix, std::vector<ArgCond>& out) {
  const unsigned free_bits = width - depth;
  const bool any = std::any_of(values.begin(), values.end(), [&](std::uint64_t v) {
    return (v >> free_bits) == prefix;
  });
  if (!any) {
    const std::uint64_t mask = (low_bits(width) & ~low_bits(free_bits)) << shift;
    out.push_back(masked(arg, mask, (prefix << free_bits) << shift));
    return;
  }
  if (depth == width) return;  // this exact value is excluded
  cubes(arg, shift, width, values, depth + 1, prefix << 1, out);
  cubes(arg, shift, width, values, depth + 1, (prefix << 1) | 1U, out);
}

std::vector<std::uint64_t> in_field(unsigned width, std::vector<std::uint64_t> values) {
  for (auto& v : values) v &= low_bits(width);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// Each single condition as its own alternative.
Alternatives each(const std::vector<ArgCond>& conds) {
  Alternatives out;
  for (const auto& c : conds) out.push_back({c});
  return out;
}

// `first` AND each of `rest` as alternatives.
Alternatives with_each(const ArgCond& first, const std::vector<ArgCond>& rest) {
  Alternatives out;
  for (const auto& c : rest) out.push_back({first, c});
  return out;
}

void append(Alternatives& to, Alternatives from) {
  for (auto& a : from) to.push_back(std::move(a));
}

// clone(flags, ...): no CLONE_NEW* flag. CLONE_NEWTIME (0x80) is not listed: for clone() that
// bit is part of the exit signal, and clone() cannot create a time namespace.
ArgFilter clone_filter() {
  constexpr std::uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
                                            CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                            CLONE_NEWNET;
  ArgFilter f{"clone", {{masked(0, kNamespaceFlags, 0)}}, {}};
  for (unsigned bit = 0; bit < 32; ++bit) {
    const std::uint64_t b = std::uint64_t{1} << bit;
    if (kNamespaceFlags & b) f.deny.push_back({masked(0, b, b)});
  }
  return f;
}

// ioctl(fd, cmd, ...): no terminal input injection (TIOCSTI), console control (TIOCLINUX),
// line-discipline change (TIOCSETD) or console redirection (TIOCCONS). cmd is compared on its
// low 32 bits only: the kernel truncates it to unsigned int, so high bits must not hide it.
ArgFilter ioctl_filter() {
  const std::vector<std::uint64_t> denied = in_field(32, {TIOCSTI, TIOCLINUX, TIOCSETD, TIOCCONS});
  return {"ioctl", each(field_not_in(1, 0, 32, denied)), each(field_in(1, 0, 32, denied))};
}

// personality(persona): only the Linux personalities (and the 0xffffffff query); no
// READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE and friends.
ArgFilter personality_filter() {
  const std::vector<std::uint64_t> allowed =
      in_field(32, {PER_LINUX, PER_LINUX32, UNAME26, std::uint64_t{PER_LINUX32} | UNAME26, 0xffffffffU});
  return {"personality", each(field_in(0, 0, 32, allowed)), each(field_not_in(0, 0, 32, allowed))};
}

// socket(domain, type, protocol): AF_UNIX; AF_INET/AF_INET6 stream or datagram (no raw IP, no
// SOCK_PACKET, no SCTP seqpacket); AF_NETLINK with NETLINK_ROUTE only (glibc's getaddrinfo uses
// it). Every other family — AF_PACKET, AF_VSOCK, AF_KEY, AF_ALG, AF_BLUETOOTH, AF_APPLETALK,
// AF_XDP, AF_RDS, AF_TIPC, ... — is refused. The type is compared on SOCK_TYPE_MASK (0xf) so
// SOCK_NONBLOCK / SOCK_CLOEXEC pass.
ArgFilter socket_filter() {
  constexpr unsigned kTypeBits = 4;  // SOCK_TYPE_MASK
  const std::vector<std::uint64_t> families = in_field(32, {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK});
  const std::vector<std::uint64_t> ip_types = in_field(kTypeBits, {SOCK_STREAM, SOCK_DGRAM});
  const std::vector<std::uint64_t> netlink_protocols = in_field(32, {NETLINK_ROUTE});

  ArgFilter f{"socket", {}, {}};
  f.permit.push_back({masked(0, low_bits(32), AF_UNIX)});
  for (std::uint64_t fam : {std::uint64_t{AF_INET}, std::uint64_t{AF_INET6}}) {
    append(f.permit, with_each(masked(0, low_bits(32), fam), field_in(1, 0, kTypeBits, ip_types)));
  }
  append(f.permit, with_each(masked(0, low_bits(32), AF_NETLINK),
                             field_in(2, 0, 32, netlink_protocols)));

  append(f.deny, each(field_not_in(0, 0, 32, families)));
  for (std::uint64_t fam : {std::uint64_t{AF_INET}, std::uint64_t{AF_INET6}}) {
    append(f.deny, with_each(masked(0, low_bits(32), fam), field_not_in(1, 0, kTypeBits, ip_types)));
  }
  append(f.deny, with_each(masked(0, low_bits(32), AF_NETLINK),
                           field_not_in(2, 0, 32, netlink_protocols)));
  return f;
}

// The set-id mode bits. A sandbox must not create set-uid/set-gid files: through an idmapped
// writable path its files belong, on disk, to the directory's owner (root when kavach runs as
// root), so a set-uid file it leaves behind would be a set-uid-root program on the host (probe T03).
constexpr std::uint64_t kSetIdBits = S_ISUID | S_ISGID;

// "mode has S_ISUID" OR "mode has S_ISGID": the complement of masked(mode, kSetIdBits, 0).
std::vector<ArgCond> has_set_id(unsigned mode_arg) {
  return {masked(mode_arg, S_ISUID, S_ISUID), masked(mode_arg, S_ISGID, S_ISGID)};
}

// mknod/mknodat: regular files, FIFOs and sockets only — never device nodes — and never with a
// set-id bit. One masked comparison per rule covers both (libseccomp refuses two on one argument).
ArgFilter mknod_filter(std::string_view name, unsigned mode_arg) {
  constexpr unsigned kShift = 12;  // S_IFMT = 0170000
  constexpr unsigned kBits = 4;
  const std::vector<std::uint64_t> types =
      in_field(kBits, {0, S_IFREG >> kShift, S_IFIFO >> kShift, S_IFSOCK >> kShift});
  std::vector<ArgCond> permit = field_in(mode_arg, kShift, kBits, types);
  for (auto& c : permit) c.mask |= kSetIdBits;  // value keeps the set-id bits at 0
  std::vector<ArgCond> deny = field_not_in(mode_arg, kShift, kBits, types);
  for (const auto& c : has_set_id(mode_arg)) deny.push_back(c);
  return {name, each(permit), each(deny)};
}

// chmod family: any mode without a set-id bit.
ArgFilter chmod_filter(std::string_view name, unsigned mode_arg) {
  return {name, {{masked(mode_arg, kSetIdBits, 0)}}, each(has_set_id(mode_arg))};
}

// open family: the mode counts only with O_CREAT or O_TMPFILE (without them libc passes
// anything, often garbage); with either, no set-id bit.
ArgFilter open_filter(std::string_view name, unsigned flags_arg, unsigned mode_arg) {
  // The kernel's __O_TMPFILE bit alone (glibc's __O_TMPFILE also carries O_DIRECTORY).
  constexpr std::uint64_t kTmpfileBit = 020000000;
  constexpr std::uint64_t kCreating[] = {O_CREAT, kTmpfileBit};
  Alternatives deny;
  for (std::uint64_t flag : kCreating) {
    for (const auto& c : has_set_id(mode_arg)) deny.push_back({masked(flags_arg, flag, flag), c});
  }
  return {name,
          {{masked(flags_arg, O_CREAT | kTmpfileBit, 0)}, {masked(mode_arg, kSetIdBits, 0)}},
          deny};
}

// creat(path, mode) always creates.
ArgFilter creat_filter() { return chmod_filter("creat", 1); }

// memfd_create(name, flags) when memfd exec is not allowed: only sealed non-executable memfds
// (MFD_NOEXEC_SEAL, kernel >= 6.3; older kernels reject the flag, so memfds fail closed).
ArgFilter memfd_filter() {
  return {"memfd_create", {{masked(1, kMfdNoexecSeal, kMfdNoexecSeal)}},
          {{masked(1, kMfdNoexecSeal, 0)}}};
}

// sendto/sendmsg/sendmmsg without MSG_FASTOPEN: a TCP Fast Open send connects implicitly and
// Landlock's connect rules do not see it (measured on 6.18: sendto(MSG_FASTOPEN) to a port
// Landlock denies goes through). Plain connect() + send is unaffected.
ArgFilter no_fastopen_filter(std::string_view name, unsigned flags_arg) {
  return {name, {{masked(flags_arg, MSG_FASTOPEN, 0)}}, {{masked(flags_arg, MSG_FASTOPEN, MSG_FASTOPEN)}}};
}

std::vector<ArgFilter> make_filters(bool allow_memfd_exec) {
  std::vector<ArgFilter> out{clone_filter(),           ioctl_filter(),
                             personality_filter(),     socket_filter(),
                             mknod_filter("mknod", 1), mknod_filter("mknodat", 2),
                             no_fastopen_filter("sendto", 3), no_fastopen_filter("sendmsg", 2),
                             no_fastopen_filter("sendmmsg", 3),
                             chmod_filter("chmod", 1), chmod_filter("fchmod", 1),
                             chmod_filter("fchmodat", 2), chmod_filter("fchmodat2", 2),
                             open_filter("open", 1, 2), open_filter("openat", 2, 3), creat_filter()};
  if (!allow_memfd_exec) out.push_back(memfd_filter());
  return out;
}

}  // namespace

std::vector<ArgCond> field_in(unsigned arg, unsigned shift, unsigned width,
                              const std::vector<std::uint64_t>& values) {
  std::vector<ArgCond> out;
  const std::uint64_t mask = low_bits(width) << shift;
  for (std::uint64_t v : in_field(width, values)) out.push_back(masked(arg, mask, v << shift));
  return out;
}

std::vector<ArgCond> field_not_in(unsigned arg, unsigned shift, unsigned width,
                                  const std::vector<std::uint64_t>& values) {
  std::vector<ArgCond> out;
  cubes(arg, shift, width, in_field(width, values), 0, 0, out);
  return out;
}

const std::vector<ArgFilter>& argument_filters(bool allow_memfd_exec) {
  static const std::vector<ArgFilter> with_memfd = make_filters(true);
  static const std::vector<ArgFilter> without_memfd = make_filters(false);
  return allow_memfd_exec ? with_memfd : without_memfd;
}

bool is_host_safety_filter(std::string_view name) {
  static constexpr std::string_view kNames[] = {"mknod",    "mknodat",   "chmod", "fchmod",
                                                "fchmodat", "fchmodat2", "open",  "openat",
                                                "creat"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

const std::vector<UnfilterableSyscall>& unfilterable_syscalls() {
  static const std::vector<UnfilterableSyscall> v = {
      {"clone3", SeccompAction::errno_enosys, false,
       "its flags live in memory seccomp cannot inspect, so namespace creation could not be "
       "refused (libc falls back to clone when clone3 answers ENOSYS)"},
      {"openat2", SeccompAction::errno_enosys, true,
       "its mode lives in memory seccomp cannot inspect, so set-id files could be created on "
       "the host (libc falls back to openat when openat2 answers ENOSYS)"},
      {"io_uring_setup", SeccompAction::errno_eperm, true,
       "io_uring opcodes open, create and change files where no seccomp rule sees them"},
      {"io_uring_enter", SeccompAction::errno_eperm, true,
       "io_uring opcodes open, create and change files where no seccomp rule sees them"},
      {"io_uring_register", SeccompAction::errno_eperm, true,
       "io_uring opcodes open, create and change files where no seccomp rule sees them"},
  };
  return v;
}

const ArgFilter* find_argument_filter(std::string_view name, bool allow_memfd_exec) {
  for (const auto& f : argument_filters(allow_memfd_exec)) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace kavach::seccomp_detail
