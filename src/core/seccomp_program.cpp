// SeccompPolicy -> backend-neutral SeccompProgram. Invariant of every program built here (tested,
// and checked again by the process backend before compiling): all rules for one syscall share
// one action and that action differs from the default — so a backend may hand the rules to
// libseccomp (or an OCI runtime) in any order without precedence surprises.
#include <algorithm>
#include <set>
#include <string>

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
  auto refuse_clone3 = [](const std::vector<std::string>& names,
                          std::string_view key) -> Result<void> {
    if (std::find(names.begin(), names.end(), "clone3") == names.end()) return {};
    return fail(ErrorCode::policy_value,
                std::string(key) +
                    ": clone3 cannot be allowed — its flags live in memory seccomp cannot "
                    "inspect, so namespace creation could not be refused (libc falls back to "
                    "clone when clone3 answers ENOSYS)",
                {{"syscall", "clone3"}, {"key", std::string(key)}});
  };
  if (auto r = refuse_clone3(p.extra_allow, "seccomp.extra_allow"); !r) return r;
  if (p.mode == SeccompMode::custom) {
    if (auto r = refuse_clone3(p.custom_allow, "seccomp.custom_allow"); !r) return r;
  }
  return {};
}

// Deny by default (EPERM); `allowed` runs, argument-filtered names only under their rules.
SeccompProgram allowlist_program(const NameSet& allowed, const SeccompPolicy& p,
                                 std::string_view label) {
  SeccompProgram prog;
  prog.default_action = SeccompAction::errno_eperm;
  prog.deny_foreign_abis = true;
  const NameSet deny = to_set(p.extra_deny);
  if (!deny.count("clone3")) add_plain(prog.rules, "clone3", SeccompAction::errno_enosys);
  // openat2's mode sits in memory the filter cannot read: ENOSYS (callers fall back to openat,
  // whose set-id mode rule applies) unless the policy allows it by name.
  if (!deny.count("openat2") && !allowed.count("openat2")) {
    add_plain(prog.rules, "openat2", SeccompAction::errno_enosys);
  }

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
  prog.deny_foreign_abis = true;
  const NameSet allow = to_set(p.extra_allow);
  const NameSet deny = to_set(p.extra_deny);

  for (const auto& f : seccomp_detail::argument_filters(p.allow_memfd_exec)) {
    if (deny.count(f.name) || !known(f.name)) continue;
    add_alternatives(prog.rules, f.name, SeccompAction::errno_eperm, f.deny);
  }
  if (!deny.count("clone3")) add_plain(prog.rules, "clone3", SeccompAction::errno_enosys);
  if (!deny.count("openat2") && !allow.count("openat2")) {
    add_plain(prog.rules, "openat2", SeccompAction::errno_enosys);
  }
  for (std::string_view name : dangerous_syscalls()) {
    if (allow.count(name) || deny.count(name) || !known(name)) continue;
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

SeccompProgram no_filter_program(const SeccompPolicy& p) {
  SeccompProgram prog;
  prog.default_action = SeccompAction::allow;
  prog.deny_foreign_abis = false;
  prog.description = "no seccomp filter";
  if (p.extra_deny.empty()) return prog;
  // Only the named denials; the foreign ABIs must be closed too or the denials are bypassable.
  prog.deny_foreign_abis = true;
  for (const auto& name : to_set(p.extra_deny)) add_plain(prog.rules, name, SeccompAction::errno_eperm);
  prog.description = "extra_deny only: " + std::to_string(prog.rules.size()) +
                     " syscalls denied, default ALLOW, i386/x32 ABIs killed";
  return prog;
}

}  // namespace

Result<SeccompProgram> build_seccomp_program(const SeccompPolicy& policy) {
  if (auto r = check_lists(policy); !r) return tl::unexpected(r.error());
  switch (policy.mode) {
    case SeccompMode::none:
      return no_filter_program(policy);
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

}  // namespace kavach
