// SeccompPolicy -> backend-neutral SeccompProgram. Invariant of every program built here (tested,
// and checked again by the process backend before compiling): all rules for one syscall share
// one action and that action differs from the default — so a backend may hand the rules to
// libseccomp (or an OCI runtime) in any order without precedence surprises.
#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kavach/syscalls.hpp"
#include "seccomp_arg_rules.hpp"

namespace kavach {
namespace {

using seccomp_detail::Alternatives;
using seccomp_detail::find_argument_filter;

using NameSet = std::set<std::string, std::less<>>;

NameSet to_set(const std::vector<std::string>& v) { return NameSet(v.begin(), v.end()); }

// The names of our own groups this ABI knows, resolved once (libseccomp's lookup is a linear
// scan; doing it for ~350 names per run cost ~1.5 ms). User-supplied names are validated by
// check_lists, so membership here is only consulted for data names.
bool known(std::string_view name) {
  static const NameSet names = [] {
    NameSet out;
    auto add = [&out](std::string_view n) {
      if (is_known_syscall(n)) out.emplace(n);
    };
    for (auto n : strict_allowlist_syscalls()) add(n);
    for (auto n : dangerous_syscalls()) add(n);
    for (const auto& f : seccomp_detail::argument_filters(false)) add(f.name);
    add("clone3");
    return out;
  }();
  return names.count(name) > 0 || is_known_syscall(name);
}

bool is_unfilterable(std::string_view name) {
  const auto& u = seccomp_detail::unfilterable_syscalls();
  return std::any_of(u.begin(), u.end(), [&](const auto& x) { return x.name == name; });
}

void add_alternatives(std::vector<SyscallRule>& rules, std::string_view name, SeccompAction action,
                      const Alternatives& alternatives) {
  for (const auto& conds : alternatives) rules.push_back({std::string(name), action, conds});
}

void add_plain(std::vector<SyscallRule>& rules, std::string_view name, SeccompAction action) {
  rules.push_back({std::string(name), action, {}});
}

// Conditional denials first, then unconditional ones, then allows (documentation order only;
// the invariant makes the order irrelevant to the result).
void order_rules(std::vector<SyscallRule>& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const SyscallRule& a, const SyscallRule& b) {
    auto rank = [](const SyscallRule& r) {
      if (r.action == SeccompAction::allow) return 2;
      return r.conds.empty() ? 1 : 0;
    };
    return rank(a) < rank(b);
  });
}

std::size_t count_names(const std::vector<SyscallRule>& rules) {
  NameSet names;
  for (const auto& r : rules) names.insert(r.name);
  return names.size();
}

Result<void> check_lists(const SeccompPolicy& p) {
  if (p.mode == SeccompMode::custom) {
    if (auto r = validate_syscall_names(p.custom_allow, "seccomp.custom_allow"); !r) return r;
  }
  if (auto r = validate_syscall_names(p.extra_allow, "seccomp.extra_allow"); !r) return r;
  if (auto r = validate_syscall_names(p.extra_deny, "seccomp.extra_deny"); !r) return r;

  const NameSet deny = to_set(p.extra_deny);
  for (const auto& n : p.extra_allow) {
    if (deny.count(n)) {
      return fail(ErrorCode::policy_value,
                  "seccomp: syscall '" + n + "' is in both extra_allow and extra_deny",
                  {{"syscall", n}, {"key", "seccomp.extra_allow"}});
    }
  }
  // Names whose arguments no filter can read cannot be allowed: the rules that keep the host
  // safe (no namespaces, no set-id files) would not see them.
  auto refuse_unfilterable = [](const std::vector<std::string>& names,
                                std::string_view key) -> Result<void> {
    for (const auto& u : seccomp_detail::unfilterable_syscalls()) {
      if (std::find(names.begin(), names.end(), u.name) == names.end()) continue;
      return fail(ErrorCode::policy_value,
                  std::string(key) + ": " + std::string(u.name) + " cannot be allowed — " +
                      std::string(u.why),
                  {{"syscall", std::string(u.name)}, {"key", std::string(key)}});
    }
    return {};
  };
  if (auto r = refuse_unfilterable(p.extra_allow, "seccomp.extra_allow"); !r) return r;
  if (p.mode == SeccompMode::custom) {
    if (auto r = refuse_unfilterable(p.custom_allow, "seccomp.custom_allow"); !r) return r;
  }
  return {};
}

// Every program answers the unfilterable names with their fixed action (a rule is added only
// where that action differs from the program's default: the invariant above).
void add_unfilterable(SeccompProgram& prog, const NameSet& deny, bool host_safety_only = false) {
  for (const auto& u : seccomp_detail::unfilterable_syscalls()) {
    if (host_safety_only && !u.host_safety) continue;
    if (deny.count(u.name) || u.action == prog.default_action || !known(u.name)) continue;
    add_plain(prog.rules, u.name, u.action);
  }
}

// Deny by default (EPERM); `allowed` runs, argument-filtered names only under their rules.
SeccompProgram allowlist_program(const NameSet& allowed, const SeccompPolicy& p,
                                 std::string_view label) {
  SeccompProgram prog;
  prog.default_action = SeccompAction::errno_eperm;
  const NameSet deny = to_set(p.extra_deny);
  add_unfilterable(prog, deny);

  std::size_t allowed_names = 0;
  std::size_t filtered_names = 0;
  for (const auto& name : allowed) {
    if (deny.count(name) || !known(name)) continue;
    ++allowed_names;
    if (const auto* f = find_argument_filter(name, p.allow_memfd_exec)) {
      ++filtered_names;
      add_alternatives(prog.rules, name, SeccompAction::allow, f->permit);
    } else {
      add_plain(prog.rules, name, SeccompAction::allow);
    }
  }
  order_rules(prog.rules);
  prog.description = std::string(label) + " allowlist: " + std::to_string(allowed_names) +
                     " syscalls allowed (" + std::to_string(filtered_names) +
                     " argument-filtered), " + std::to_string(prog.rules.size()) +
                     " rules, default EPERM, clone3/openat2 ENOSYS, no set-id modes, i386/x32 ABIs killed";
  return prog;
}

// Allow by default; the dangerous set and the argument rules' complements answer EPERM.
SeccompProgram denylist_program(const SeccompPolicy& p) {
  SeccompProgram prog;
  prog.default_action = SeccompAction::allow;
  const NameSet allow = to_set(p.extra_allow);
  const NameSet deny = to_set(p.extra_deny);

  for (const auto& f : seccomp_detail::argument_filters(p.allow_memfd_exec)) {
    if (deny.count(f.name) || !known(f.name)) continue;
    add_alternatives(prog.rules, f.name, SeccompAction::errno_eperm, f.deny);
  }
  add_unfilterable(prog, deny);
  for (std::string_view name : dangerous_syscalls()) {
    if (allow.count(name) || deny.count(name) || !known(name) || is_unfilterable(name)) continue;
    add_plain(prog.rules, name, SeccompAction::errno_eperm);
  }
  for (const auto& name : deny) add_plain(prog.rules, name, SeccompAction::errno_eperm);
  order_rules(prog.rules);
  prog.description = "basic denylist: " +
                     std::to_string(count_names(prog.rules)) +
                     " syscalls denied or argument-filtered, " +
                     std::to_string(prog.rules.size()) +
                     " rules, default ALLOW, clone3/openat2 ENOSYS, no set-id modes, i386/x32 ABIs killed";
  return prog;
}

// seccomp "none": no policy filter, but the host-safety rules still hold (what a sandbox must
// never leave on the host through a writable path: set-id files, device nodes; openat2 and
// io_uring, whose modes and opcodes no filter can read) plus the policy's extra_deny. Foreign
// ABIs are killed, as in every program: the rules are written for the native one.
SeccompProgram host_safety_program(const SeccompPolicy& p) {
  SeccompProgram prog;
  prog.default_action = SeccompAction::allow;
  const NameSet deny = to_set(p.extra_deny);
  for (const auto& f : seccomp_detail::argument_filters(true)) {
    if (!seccomp_detail::is_host_safety_filter(f.name) || deny.count(f.name) || !known(f.name)) continue;
    add_alternatives(prog.rules, f.name, SeccompAction::errno_eperm, f.deny);
  }
  add_unfilterable(prog, deny, /*host_safety_only=*/true);
  for (const auto& name : deny) add_plain(prog.rules, name, SeccompAction::errno_eperm);
  order_rules(prog.rules);
  prog.description = "host-safety filter only: " + std::to_string(count_names(prog.rules)) +
                     " syscalls denied or argument-filtered (" +
                     std::to_string(p.extra_deny.size()) +
                     " by extra_deny), default ALLOW, no set-id modes or device nodes, "
                     "openat2 ENOSYS, io_uring EPERM, i386/x32 ABIs killed";
  return prog;
}

}  // namespace

namespace {

Result<SeccompProgram> build_uncached(const SeccompPolicy& policy) {
  if (auto r = check_lists(policy); !r) return tl::unexpected(r.error());
  switch (policy.mode) {
    case SeccompMode::none:
      return host_safety_program(policy);
    case SeccompMode::basic:
      return denylist_program(policy);
    case SeccompMode::strict: {
      NameSet allowed(strict_allowlist_syscalls().begin(), strict_allowlist_syscalls().end());
      allowed.insert(policy.extra_allow.begin(), policy.extra_allow.end());
      return allowlist_program(allowed, policy, "strict");
    }
    case SeccompMode::custom: {
      if (policy.custom_allow.empty()) {
        return fail(ErrorCode::policy_value,
                    "seccomp.custom_allow: mode 'custom' needs a non-empty allowlist",
                    {{"key", "seccomp.custom_allow"}});
      }
      NameSet allowed = to_set(policy.custom_allow);
      allowed.insert(policy.extra_allow.begin(), policy.extra_allow.end());
      for (const auto& d : policy.extra_deny) allowed.erase(d);
      if (!allowed.count("execve") && !allowed.count("execveat")) {
        return fail(ErrorCode::policy_value,
                    "seccomp.custom_allow: the allowlist lacks execve (and execveat); the "
                    "sandbox could not start the command",
                    {{"key", "seccomp.custom_allow"}});
      }
      return allowlist_program(allowed, policy, "custom");
    }
  }
  return fail(ErrorCode::internal, "unhandled seccomp mode");
}

// Validation and the backend both build a run's program; a process sees a handful of policies,
// so the last few programs are kept (the first build of the strict program costs ~0.3 ms).
struct ProgramMemo {
  std::mutex mu;
  std::vector<std::pair<SeccompPolicy, SeccompProgram>> entries;
};

}  // namespace

Result<SeccompProgram> build_seccomp_program(const SeccompPolicy& policy) {
  static ProgramMemo memo;
  {
    std::lock_guard lock(memo.mu);
    for (const auto& [p, prog] : memo.entries) {
      if (p == policy) return prog;
    }
  }
  auto built = build_uncached(policy);
  if (!built) return built;
  std::lock_guard lock(memo.mu);
  if (memo.entries.size() >= 16) memo.entries.clear();
  memo.entries.emplace_back(policy, *built);
  return built;
}

}  // namespace kavach
