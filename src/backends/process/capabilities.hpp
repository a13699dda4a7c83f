// Capabilities for the process backend: computed in the PARENT, dropped in the child.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::process {

struct PreparedCapabilities {
  std::uint64_t keep = 0;   // bitmask of capabilities kept (default 0 = all dropped)
  int last_cap = 40;        // /proc/sys/kernel/cap_last_cap, read in the parent
  std::string detail;
};

// Parent side: parse names like "CAP_NET_BIND_SERVICE" (error invalid_argument for unknown names).
[[nodiscard]] Result<PreparedCapabilities> prepare_capabilities(const std::vector<std::string>& keep);

// Child side, ASYNC-SIGNAL-SAFE: drop bounding set (PR_CAPBSET_DROP), clear ambient
// (PR_CAP_AMBIENT_CLEAR_ALL), set inheritable/permitted/effective via capset to `keep`,
// and set PR_SET_NO_NEW_PRIVS. Returns 0 or -errno.
int apply_capabilities(const PreparedCapabilities& prepared) noexcept;

}  // namespace kavach::process
