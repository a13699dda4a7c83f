// The protected-path guard's trap program, defined once (the process backend compiles it for its
// guard; the OCI backends hand the same BPF to the same guard inside the container).
#include <fcntl.h>
#include <sched.h>

#include "kavach/syscalls.hpp"
#include "seccomp_arg_rules.hpp"

namespace kavach {
namespace {

ArgCond bit_set(unsigned arg, std::uint64_t bit) { return ArgCond{arg, ArgOp::masked_eq, bit, bit}; }

// open/openat: trapped when the flags ask to write, create or truncate (O_RDONLY opens, the
// vast majority, never reach the guard). O_TMPFILE implies write access, so it is covered.
void add_write_open(std::vector<SyscallRule>& rules, const char* name, unsigned flags_arg) {
  for (std::uint64_t bit : {std::uint64_t{O_WRONLY}, std::uint64_t{O_RDWR}, std::uint64_t{O_CREAT},
                            std::uint64_t{O_TRUNC}}) {
    rules.push_back({name, SeccompAction::notify, {bit_set(flags_arg, bit)}});
  }
}

SeccompProgram make() {
  SeccompProgram p;
  p.default_action = SeccompAction::allow;
  add_write_open(p.rules, "open", 1);
  add_write_open(p.rules, "openat", 2);
  for (const char* name : {"creat", "mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat",
                           "link", "linkat", "rename", "renameat", "renameat2", "chmod", "fchmod",
                           "fchmodat", "fchmodat2", "truncate"}) {
    if (is_known_syscall(name)) p.rules.push_back({name, SeccompAction::notify, {}});
  }
  // The guard resolves paths in its own mount namespace and root: the command must not move to
  // others. (Strict and basic refuse these already; this holds under every policy.)
  for (const char* name : {"unshare", "setns", "chroot", "pivot_root", "mount", "umount2",
                           "move_mount", "open_tree", "fsmount", "fsopen", "fspick", "mount_setattr"}) {
    if (is_known_syscall(name)) p.rules.push_back({name, SeccompAction::errno_eperm, {}});
  }
  for (const auto& f : seccomp_detail::argument_filters(true)) {
    if (f.name != "clone") continue;
    for (const auto& conds : f.deny) p.rules.push_back({"clone", SeccompAction::errno_eperm, conds});
  }
  p.rules.push_back({"clone3", SeccompAction::errno_enosys, {}});
  p.rules.push_back({"openat2", SeccompAction::errno_enosys, {}});
  p.description = "protected-path guard: path-creating and write opens trapped, namespace changes refused";
  return p;
}

}  // namespace

const SeccompProgram& guard_trap_program() {
  static const SeccompProgram program = make();
  return program;
}

}  // namespace kavach
