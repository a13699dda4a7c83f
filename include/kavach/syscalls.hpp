// The meaning of seccomp policies, defined once, backend-neutral.
// The process backend compiles a SeccompProgram with libseccomp; the OCI/gVisor backends emit it
// as the runtime spec's `linux.seccomp` JSON. Neither decides on its own what a preset allows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach {

// notify: stop the call and hand it to a user-space supervisor (the protected-path guard).
enum class SeccompAction { allow, errno_eperm, errno_enosys, kill_process, notify };

enum class ArgOp { eq, ne, masked_eq };  // masked_eq: (arg & mask) == value

struct ArgCond {
  unsigned index = 0;  // syscall argument 0..5
  ArgOp op = ArgOp::eq;
  std::uint64_t value = 0;
  std::uint64_t mask = 0;  // masked_eq only
  friend bool operator==(const ArgCond&, const ArgCond&) = default;
};

// One rule: when `name` is called and ALL conds hold, take `action`.
// Several rules for one name are alternatives (OR).
struct SyscallRule {
  std::string name;
  SeccompAction action = SeccompAction::allow;
  std::vector<ArgCond> conds;
  friend bool operator==(const SyscallRule&, const SyscallRule&) = default;
};

struct SeccompProgram {
  SeccompAction default_action = SeccompAction::errno_eperm;
  // Rules are ordered: deny rules with arguments first, then allows. Programs built by
  // build_seccomp_program never mix actions for one syscall and never repeat the default action
  // (libseccomp has no rule precedence: an unconditional rule swallows conditional ones), so
  // a backend may add the rules in any order. Conditional allows under a deny default are
  // therefore written as the permitted argument values, not as "allow minus exceptions".
  std::vector<SyscallRule> rules;
  // Foreign ABIs (i386 via int 0x80, x32) are always killed rather than filtered: every rule is
  // written for the native ABI (seccomp "none" included, which still carries the host-safety rules).
  std::string description;  // "strict allowlist (N syscalls)"
};

// Named groups (stable data, reviewed in one place). Names this ABI / libseccomp does not know
// are skipped when a program is built. Names with argument rules (clone, ioctl, socket,
// personality, mknod, mknodat, memfd_create, sendto/sendmsg/sendmmsg without MSG_FASTOPEN) are
// allowed only under those rules; clone3 is
// never in a group: it answers ENOSYS so libc falls back to the argument-filtered clone.
[[nodiscard]] const std::vector<std::string_view>& strict_allowlist_syscalls();
[[nodiscard]] const std::vector<std::string_view>& dangerous_syscalls();

// True when the native (x86_64) ABI knows this syscall name.
[[nodiscard]] bool is_known_syscall(std::string_view name);
// Error (unknown_syscall) naming the first unknown name.
[[nodiscard]] Result<void> validate_syscall_names(const std::vector<std::string>& names,
                                                  std::string_view where);

// Translate a policy into the neutral program. Result error for unknown names.
[[nodiscard]] Result<SeccompProgram> build_seccomp_program(const SeccompPolicy& policy);

// The protected-path guard's trap program (installed on the command in addition to the policy's
// program): every call that creates, renames, links, chmods, truncates or opens a path for
// writing goes to the guard (`notify`); calls that would change the guard's view of paths
// (new mount or user namespaces, chroot, mounts) are refused. Everything else is allowed.
[[nodiscard]] const SeccompProgram& guard_trap_program();

}  // namespace kavach
