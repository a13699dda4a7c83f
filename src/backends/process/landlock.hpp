// Landlock for the process backend: ruleset built in the PARENT (fd), restrict_self in the child.
#pragma once

#include <string>

#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::process {

struct PreparedLandlock {
  int ruleset_fd = -1;  // owned; closed by the destructor in the parent
  int abi = 0;          // ABI the ruleset was built for (negotiated <= host ABI)
  bool fs = false;      // filesystem rights handled
  bool net = false;     // TCP bind/connect handled (ABI >= 4)
  bool scopes = false;  // signal + abstract unix scoping (ABI >= 6)
  std::string detail;   // for the enforcement report
  PreparedLandlock() = default;
  PreparedLandlock(const PreparedLandlock&) = delete;
  PreparedLandlock& operator=(const PreparedLandlock&) = delete;
  PreparedLandlock(PreparedLandlock&& o) noexcept;
  PreparedLandlock& operator=(PreparedLandlock&& o) noexcept;
  ~PreparedLandlock();
};

// Parent side. `rules` are paths as the CHILD will see them after pivot_root, EXCEPT that the
// ruleset is built from host-side paths opened with O_PATH before the child changes root —
// the caller passes host paths that resolve to the same inodes the child will use.
// Fails closed (control_unavailable) when the host ABI < policy.min_abi or Landlock is absent,
// unless the caller decides to degrade.
[[nodiscard]] Result<PreparedLandlock> prepare_landlock(const LandlockPolicy& policy,
                                                       const std::vector<PathRule>& fs_rules,
                                                       int host_abi);

// Child side, ASYNC-SIGNAL-SAFE: add a rule for a path that exists only in the child's mount
// namespace (its own /tmp, /dev/shm or /proc mounts cannot be opened by the parent, and without
// a rule Landlock denies them entirely). Call after mounting, before apply_landlock. The ruleset
// is shared with the parent's fd, so a PreparedLandlock serves one run. No-op when Landlock is
// disabled. Returns 0 or -errno.
int add_landlock_path_in_child(const PreparedLandlock& prepared, const char* path,
                               unsigned access) noexcept;

// Child side, ASYNC-SIGNAL-SAFE: landlock_restrict_self(ruleset_fd, 0). Returns 0 or -errno.
int apply_landlock(const PreparedLandlock& prepared) noexcept;

}  // namespace kavach::process
