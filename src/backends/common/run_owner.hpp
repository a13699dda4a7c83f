// Who owns a run's leftovers on the host (OCI bundles, disk quotas): the kavach process's pid
// plus its start time, so a recycled pid is not mistaken for the owner.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace kavach::common {

struct Owner {
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // /proc/<pid>/stat field 22
};

[[nodiscard]] Owner current_owner();
[[nodiscard]] bool owner_alive(const Owner& o);
[[nodiscard]] std::uint64_t process_start_time(pid_t pid);  // 0 when the process is gone

}  // namespace kavach::common
