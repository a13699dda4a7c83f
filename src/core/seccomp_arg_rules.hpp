// Argument rules shared by the basic and strict seccomp programs (internal to core).
//
// Why both a "permit" and a "deny" form: libseccomp (2.5.4, and runc/crun on top of it) has no
// rule precedence we can rely on. Verified on this machine: an unconditional ALLOW for ioctl
// swallows a conditional ERRNO rule for ioctl (TIOCSTI passed), a rule whose action equals the
// default action is rejected (-EACCES), and two comparisons on one argument in one rule are
// rejected (-EINVAL). So every argument rule is written twice, as disjoint alternatives:
//   permit — the argument values under which the call runs (used under a deny default: strict,
//            custom),
//   deny   — the exact complement (used under an allow default: basic),
// and a program never mixes actions for one syscall. "Not in {a,b}" is expressed as a set of
// masked-equality "cubes" (field_not_in), because libseccomp cannot say "!= a && != b".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kavach/policy.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::seccomp_detail {

// Alternatives (OR) of single masked_eq conditions on argument `arg` that match exactly the
// values whose bit field [shift, shift+width) is in / not in `values` (width <= 32). Bits
// outside the field are ignored, which is what makes 32-bit fields immune to garbage in the
// upper half of a 64-bit register (the kernel truncates int / unsigned int arguments).
[[nodiscard]] std::vector<ArgCond> field_in(unsigned arg, unsigned shift, unsigned width,
                                            const std::vector<std::uint64_t>& values);
[[nodiscard]] std::vector<ArgCond> field_not_in(unsigned arg, unsigned shift, unsigned width,
                                                const std::vector<std::uint64_t>& values);

using Alternatives = std::vector<std::vector<ArgCond>>;  // OR of ANDs

struct ArgFilter {
  std::string_view name;
  Alternatives permit;  // the call runs when one of these holds
  Alternatives deny;    // exact complement of permit
};

// The argument-filtered syscalls (memfd_create's rule depends on allow_memfd_exec).
[[nodiscard]] const std::vector<ArgFilter>& argument_filters(bool allow_memfd_exec);

// Names for which an ArgFilter exists under this setting.
[[nodiscard]] const ArgFilter* find_argument_filter(std::string_view name, bool allow_memfd_exec);

// Host safety: the argument filters that keep set-id files and device nodes off the host (the
// chmod, open and mknod families). Every program carries them, seccomp "none" included.
[[nodiscard]] bool is_host_safety_filter(std::string_view name);

// Syscalls whose arguments live in memory no filter can read, so argument rules could be routed
// around: answered ENOSYS (clone3, openat2: libc falls back to clone / openat) or EPERM (io_uring:
// its opcodes open, create and chmod files), and refused in allow lists. `host_safety` marks the
// ones the host-safety rules depend on (the seccomp "none" program carries only those).
struct UnfilterableSyscall {
  std::string_view name;
  SeccompAction action;
  bool host_safety;
  std::string_view why;
};
[[nodiscard]] const std::vector<UnfilterableSyscall>& unfilterable_syscalls();

}  // namespace kavach::seccomp_detail
