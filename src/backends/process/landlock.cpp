// Landlock for the process backend: ABI negotiation and the ruleset are done in the parent
// (paths opened O_PATH there); the child makes one landlock_restrict_self call.
#include "backends/process/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <utility>

namespace kavach::process {
namespace {

// Debian 12's linux/landlock.h (6.1) stops at ABI 2. Newer values, from the kernel uapi:
constexpr std::uint64_t kFsTruncate = 1ULL << 14;   // ABI 3
constexpr std::uint64_t kFsIoctlDev = 1ULL << 15;   // ABI 5
constexpr std::uint64_t kNetBindTcp = 1ULL << 0;    // ABI 4
constexpr std::uint64_t kNetConnectTcp = 1ULL << 1; // ABI 4
constexpr int kRuleNetPort = 2;                     // LANDLOCK_RULE_NET_PORT, ABI 4
constexpr std::uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
constexpr std::uint64_t kScopeSignal = 1ULL << 1;        // ABI 6
constexpr int kNewestKnownAbi = 7;  // ABI 7 adds only audit-logging flags, which we leave default

// struct landlock_ruleset_attr as of ABI 6. Older kernels accept the larger struct as long as
// the fields they do not know are zero.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};

struct NetPortAttr {  // struct landlock_net_port_attr
  std::uint64_t allowed_access = 0;
  std::uint64_t port = 0;
};

constexpr std::uint64_t kFsFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                        LANDLOCK_ACCESS_FS_READ_FILE | kFsTruncate | kFsIoctlDev;

// Every filesystem right the ABI knows: all of them are handled (denied unless a rule grants).
std::uint64_t handled_fs(int abi) {
  std::uint64_t fs = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: bits 0..12
  if (abi >= 2) fs |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) fs |= kFsTruncate;
  if (abi >= 5) fs |= kFsIoctlDev;
  return fs;
}

// Policy access bits -> Landlock rights. Device nodes are never creatable (MAKE_CHAR/BLOCK are
// handled and never granted). Device ioctls go with write access: opening a device for writing
// is what a program needs them for (terminals, /dev/null).
std::uint64_t rights_for(unsigned access, int abi, bool is_dir) {
  std::uint64_t r = 0;
  if (access & kAccessRead) r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  if (access & kAccessExec) r |= LANDLOCK_ACCESS_FS_EXECUTE;
  if (access & kAccessWrite) {
    r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
         LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
         LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM |
         LANDLOCK_ACCESS_FS_REFER | kFsTruncate | kFsIoctlDev;
  }
  r &= handled_fs(abi);
  if (!is_dir) r &= kFsFileRights;  // the kernel refuses directory rights on a file rule
  return r;
}

std::string errno_text(int e) { return std::strerror(e); }

Error unavailable(std::string message, std::map<std::string, std::string> ctx = {}) {
  ctx.emplace("control", "landlock");
  return make_error(ErrorCode::control_unavailable, "landlock: " + std::move(message),
                    std::move(ctx));
}

Error setup_error(std::string message, std::map<std::string, std::string> ctx = {}) {
  ctx.emplace("stage", "landlock");
  return make_error(ErrorCode::setup_failed, "landlock: " + std::move(message), std::move(ctx));
}

std::string join_ports(const std::vector<std::uint16_t>& ports) {
  std::string s = "[";
  for (std::size_t i = 0; i < ports.size(); ++i) s += (i ? "," : "") + std::to_string(ports[i]);
  return s + "]";
}

Result<void> add_path_rule(int ruleset_fd, const PathRule& rule, int abi) {
  const std::string p = rule.path.string();
  const int fd = ::open(p.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    const auto code = e == ENOENT ? ErrorCode::path_not_found : ErrorCode::io_error;
    return tl::unexpected(make_error(code, "landlock: cannot open rule path '" + p + "': " + errno_text(e),
                                     {{"path", p}, {"stage", "landlock"}}));
  }
  struct stat st {};
  const bool is_dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  landlock_path_beneath_attr attr{};
  attr.allowed_access = rights_for(rule.access, abi, is_dir);
  attr.parent_fd = fd;
  long rc = 0;
  if (attr.allowed_access != 0) {  // a rule granting nothing is refused by the kernel (ENOMSG)
    rc = syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &attr, 0U);
  }
  const int e = errno;
  ::close(fd);
  if (rc != 0) {
    return tl::unexpected(setup_error("adding the rule for '" + p + "' failed: " + errno_text(e),
                                      {{"path", p}}));
  }
  return {};
}

Result<void> add_port_rule(int ruleset_fd, std::uint64_t access, std::uint16_t port) {
  NetPortAttr attr{access, port};
  if (syscall(SYS_landlock_add_rule, ruleset_fd, kRuleNetPort, &attr, 0U) != 0) {
    const int e = errno;
    return tl::unexpected(setup_error("adding the TCP rule for port " + std::to_string(port) +
                                          " failed: " + errno_text(e),
                                      {{"port", std::to_string(port)}}));
  }
  return {};
}

}  // namespace

PreparedLandlock::PreparedLandlock(PreparedLandlock&& o) noexcept
    : ruleset_fd(std::exchange(o.ruleset_fd, -1)),
      abi(o.abi),
      fs(o.fs),
      net(o.net),
      scopes(o.scopes),
      detail(std::move(o.detail)) {}

PreparedLandlock& PreparedLandlock::operator=(PreparedLandlock&& o) noexcept {
  if (this != &o) {
    if (ruleset_fd >= 0) ::close(ruleset_fd);
    ruleset_fd = std::exchange(o.ruleset_fd, -1);
    abi = o.abi;
    fs = o.fs;
    net = o.net;
    scopes = o.scopes;
    detail = std::move(o.detail);
  }
  return *this;
}

PreparedLandlock::~PreparedLandlock() {
  if (ruleset_fd >= 0) ::close(ruleset_fd);
}

Result<PreparedLandlock> prepare_landlock(const LandlockPolicy& policy,
                                         const std::vector<PathRule>& fs_rules, int host_abi) {
  PreparedLandlock out;
  if (!policy.enabled) {
    out.detail = "disabled by policy";
    return out;
  }
  if (host_abi < 1) {
    return tl::unexpected(unavailable("not available on this host (kernel without Landlock, or "
                                      "disabled at boot: 'landlock' missing from lsm=)",
                                      {{"host_abi", std::to_string(host_abi)}}));
  }
  if (host_abi < policy.min_abi) {
    return tl::unexpected(unavailable(
        "the policy needs ABI >= " + std::to_string(policy.min_abi) + ", this host offers ABI " +
            std::to_string(host_abi),
        {{"host_abi", std::to_string(host_abi)}, {"min_abi", std::to_string(policy.min_abi)}}));
  }
  const int abi = std::min(host_abi, kNewestKnownAbi);

  RulesetAttr attr;
  attr.handled_access_fs = handled_fs(abi);
  const bool want_net = policy.restrict_tcp;
  const bool want_scopes = policy.scope_signals || policy.scope_abstract_unix;
  if (want_net && abi >= 4) attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
  if (want_scopes && abi >= 6) {
    if (policy.scope_signals) attr.scoped |= kScopeSignal;
    if (policy.scope_abstract_unix) attr.scoped |= kScopeAbstractUnix;
  }
  const long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0U);
  if (fd < 0) {
    const int e = errno;
    return tl::unexpected(unavailable("creating the ABI " + std::to_string(abi) +
                                          " ruleset failed: " + errno_text(e),
                                      {{"host_abi", std::to_string(host_abi)}}));
  }
  out.ruleset_fd = static_cast<int>(fd);  // the kernel sets O_CLOEXEC on ruleset fds
  out.abi = abi;

  std::vector<PathRule> rules = fs_rules;
  rules.insert(rules.end(), policy.paths.begin(), policy.paths.end());
  for (const auto& rule : rules) {
    if (auto r = add_path_rule(out.ruleset_fd, rule, abi); !r) return tl::unexpected(r.error());
  }
  out.fs = true;
  out.detail = "ABI " + std::to_string(abi) + ": fs (" + std::to_string(rules.size()) + " path rules)";

  if (attr.handled_access_net != 0) {
    for (std::uint16_t port : policy.tcp_bind) {
      if (auto r = add_port_rule(out.ruleset_fd, kNetBindTcp, port); !r) return tl::unexpected(r.error());
    }
    for (std::uint16_t port : policy.tcp_connect) {
      if (auto r = add_port_rule(out.ruleset_fd, kNetConnectTcp, port); !r) return tl::unexpected(r.error());
    }
    out.net = true;
    out.detail += ", tcp bind " + join_ports(policy.tcp_bind) + " connect " +
                  join_ports(policy.tcp_connect);
  } else if (want_net) {
    out.detail += ", tcp not restricted (needs ABI 4)";
  }

  if (attr.scoped != 0) {
    out.scopes = true;
    out.detail += ", scopes";
    if (attr.scoped & kScopeSignal) out.detail += " signal";
    if (attr.scoped & kScopeAbstractUnix) out.detail += " abstract-unix";
  } else if (want_scopes) {
    out.detail += ", scopes not applied (needs ABI 6)";
  }
  return out;
}

// ASYNC-SIGNAL-SAFE: open/fstat/landlock_add_rule/close and arithmetic; no allocation.
int add_landlock_path_in_child(const PreparedLandlock& prepared, const char* path,
                               unsigned access) noexcept {
  if (prepared.ruleset_fd < 0) return 0;  // disabled by policy
  const int fd = ::open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  landlock_path_beneath_attr attr{};
  attr.allowed_access = rights_for(access, prepared.abi, S_ISDIR(st.st_mode));
  attr.parent_fd = fd;
  int rc = 0;
  if (attr.allowed_access != 0 &&
      syscall(SYS_landlock_add_rule, prepared.ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &attr, 0U) != 0) {
    rc = -errno;
  }
  ::close(fd);
  return rc;
}

// ASYNC-SIGNAL-SAFE: one raw syscall. Needs no_new_privs (or CAP_SYS_ADMIN in the namespace).
int apply_landlock(const PreparedLandlock& prepared) noexcept {
  if (prepared.ruleset_fd < 0) return 0;  // disabled by policy
  if (syscall(SYS_landlock_restrict_self, prepared.ruleset_fd, 0U) != 0) return -errno;
  return 0;
}

}  // namespace kavach::process
