// Syscall name validation against the native ABI (libseccomp's table, not a list of our own).
#include <seccomp.h>

#include <string>

#include "kavach/syscalls.hpp"

namespace kavach {

bool is_known_syscall(std::string_view name) {
  const std::string n(name);
  return seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, n.c_str()) != __NR_SCMP_ERROR;
}

Result<void> validate_syscall_names(const std::vector<std::string>& names, std::string_view where) {
  for (const auto& n : names) {
    if (!is_known_syscall(n)) {
      return fail(ErrorCode::unknown_syscall,
                  "unknown syscall name '" + n + "' in " + std::string(where) +
                      " (not a syscall of the native x86_64 ABI)",
                  {{"syscall", n}, {"key", std::string(where)}});
    }
  }
  return {};
}

}  // namespace kavach
