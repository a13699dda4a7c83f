// Compiling a SeccompProgram with libseccomp (see seccomp_bpf.hpp).
#include "backends/common/seccomp_bpf.hpp"
#include "backends/common/seccomp_disk_cache.hpp"
#include "core/user_cache.hpp"
#include "core/hex.hpp"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

namespace kavach::common {
namespace {

using Ctx = std::unique_ptr<void, decltype(&seccomp_release)>;

std::uint32_t to_scmp(SeccompAction a) {
  switch (a) {
    case SeccompAction::allow: return SCMP_ACT_ALLOW;
    case SeccompAction::errno_eperm: return SCMP_ACT_ERRNO(EPERM);
    case SeccompAction::errno_enosys: return SCMP_ACT_ERRNO(ENOSYS);
    case SeccompAction::kill_process: return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::notify: return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

// Built field by field: libseccomp's SCMP_CMP macro is a C compound literal.
scmp_arg_cmp to_scmp(const ArgCond& c) {
  scmp_arg_cmp out{};
  out.arg = c.index;
  switch (c.op) {
    case ArgOp::eq:
      out.op = SCMP_CMP_EQ;
      out.datum_a = c.value;
      break;
    case ArgOp::ne:
      out.op = SCMP_CMP_NE;
      out.datum_a = c.value;
      break;
    case ArgOp::masked_eq:
      out.op = SCMP_CMP_MASKED_EQ;
      out.datum_a = c.mask;
      out.datum_b = c.value;
      break;
  }
  return out;
}

Error compile_error(std::string message, const std::string& syscall = {}) {
  std::map<std::string, std::string> ctx{{"stage", "seccomp"}};
  if (!syscall.empty()) ctx["syscall"] = syscall;
  return make_error(ErrorCode::setup_failed, "seccomp: " + std::move(message), std::move(ctx));
}

// libseccomp has no rule precedence (an unconditional rule swallows conditional ones of another
// action, and rules with the default action are refused), so a program that mixes actions for
// one syscall would compile to something else than it says. Refuse it instead.
Result<void> check_invariant(const SeccompProgram& program) {
  std::map<std::string, SeccompAction> action_of;
  for (const auto& r : program.rules) {
    if (r.action == program.default_action) {
      return tl::unexpected(
          compile_error("rule for '" + r.name + "' repeats the default action", r.name));
    }
    if (r.conds.size() > 6) {
      return tl::unexpected(compile_error("rule for '" + r.name + "' has more than 6 conditions",
                                          r.name));
    }
    auto [it, inserted] = action_of.emplace(r.name, r.action);
    if (!inserted && it->second != r.action) {
      return tl::unexpected(compile_error(
          "rules for '" + r.name + "' mix actions; libseccomp would not honour their order",
          r.name));
    }
  }
  return {};
}

Result<std::vector<sock_filter>> export_bpf(const Ctx& ctx) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  size_t len = 0;
  if (int rc = seccomp_export_bpf_mem(ctx.get(), nullptr, &len); rc < 0) {
    return tl::unexpected(compile_error(std::string("export failed: ") + std::strerror(-rc)));
  }
  std::vector<sock_filter> out(len / sizeof(sock_filter));
  if (int rc = seccomp_export_bpf_mem(ctx.get(), out.data(), &len); rc < 0) {
    return tl::unexpected(compile_error(std::string("export failed: ") + std::strerror(-rc)));
  }
  return out;
#else
  // libseccomp < 2.6 (Debian 12 has 2.5.4) exports only to a file descriptor: use a memfd.
  const int fd = memfd_create("kavach-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(compile_error(std::string("memfd_create: ") + std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (int rc = seccomp_export_bpf(ctx.get(), fd); rc < 0) {
    return tl::unexpected(compile_error(std::string("export failed: ") + std::strerror(-rc)));
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    return tl::unexpected(compile_error("exported program has a bad size"));
  }
  std::vector<sock_filter> out(static_cast<std::size_t>(size) / sizeof(sock_filter));
  auto* dst = reinterpret_cast<char*>(out.data());
  std::size_t done = 0;
  const std::size_t want = static_cast<std::size_t>(size);
  while (done < want) {
    const ssize_t n = ::read(fd, dst + done, want - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return tl::unexpected(compile_error(std::string("reading the exported program: ") +
                                          (n < 0 ? std::strerror(errno) : "short read")));
    }
    done += static_cast<std::size_t>(n);
  }
  return out;
#endif
}

Result<std::vector<sock_filter>> compile(const SeccompProgram& program) {
  Ctx ctx(seccomp_init(to_scmp(program.default_action)), &seccomp_release);
  if (!ctx) return tl::unexpected(compile_error("seccomp_init failed"));
  // Foreign ABIs: a filter holding only the native arch answers i386 (int 0x80) and x32
  // (nr | 0x40000000) calls with the bad-arch action, so those ABIs cannot route around rules.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // Binary search over syscall numbers instead of a linear chain (libseccomp >= 2.5).
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0) {
    return tl::unexpected(compile_error(std::string("configuring the filter: ") + std::strerror(-rc)));
  }

  for (const auto& r : program.rules) {
    const int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      return tl::unexpected(make_error(ErrorCode::unknown_syscall,
                                       "seccomp: unknown syscall name '" + r.name + "'",
                                       {{"syscall", r.name}, {"stage", "seccomp"}}));
    }
    scmp_arg_cmp cmps[6];
    unsigned n = 0;
    for (const auto& c : r.conds) cmps[n++] = to_scmp(c);
    rc = seccomp_rule_add_array(ctx.get(), to_scmp(r.action), nr, n, n ? cmps : nullptr);
    if (rc < 0) {
      return tl::unexpected(compile_error(
          "adding the rule for '" + r.name + "' failed: " + std::strerror(-rc), r.name));
    }
  }

  auto bpf = export_bpf(ctx);
  if (!bpf) return tl::unexpected(bpf.error());
  if (bpf->empty() || bpf->size() > BPF_MAXINSNS) {
    return tl::unexpected(compile_error("program has " + std::to_string(bpf->size()) +
                                        " instructions (kernel limit " +
                                        std::to_string(BPF_MAXINSNS) + ")"));
  }
  return bpf;
}

// Everything the compiled BPF depends on, as a string (the description does not matter).
std::string cache_key(const SeccompProgram& program) {
  std::string key = std::to_string(static_cast<int>(program.default_action));
  for (const auto& r : program.rules) {
    key += ';' + r.name + ':' + std::to_string(static_cast<int>(r.action));
    for (const auto& c : r.conds) {
      key += ',' + std::to_string(c.index) + '/' + std::to_string(static_cast<int>(c.op)) + '/' +
             std::to_string(c.value) + '/' + std::to_string(c.mask);
    }
  }
  return key;
}

// Compiling the strict program costs milliseconds and every run of a policy compiles the same
// program, so compiled programs are kept, keyed by the program's text.
using BpfCache = SmallCache<std::string, std::vector<sock_filter>>;

BpfCache& bpf_cache() {
  static BpfCache cache;
  return cache;
}

}  // namespace

Result<std::vector<sock_filter>> compile_seccomp_bpf(const SeccompProgram& program) {
  if (auto r = check_invariant(program); !r) return tl::unexpected(r.error());
  const std::string key = cache_key(program);
  std::vector<sock_filter> out;
  if (bpf_cache().find(key, out)) return out;
  // Across processes: the per-user disk cache (checked entries; any doubt compiles again).
  const auto dir = user_cache::cache_dir(std::nullopt);
  const std::string disk_key = dir ? seccomp_cache_key(key) : std::string();
  if (dir) {
    if (auto cached = load_cached_bpf(*dir, disk_key)) {
      bpf_cache().store(key, *cached);
      return std::move(*cached);
    }
  }
  auto bpf = compile(program);
  if (!bpf) return tl::unexpected(bpf.error());
  bpf_cache().store(key, *bpf);
  if (dir) store_cached_bpf(*dir, disk_key, *bpf);
  return bpf;
}

std::string bpf_to_hex(const std::vector<sock_filter>& bpf) {
  return hex_encode(bpf.data(), bpf.size() * sizeof(sock_filter));
}

}  // namespace kavach::common
