// Resource limits (setrlimit) for the process backend: table built in the PARENT, applied in child.
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <string>

#include "kavach/policy.hpp"

namespace kavach::process {

struct RlimitEntry {
  int resource = 0;
  rlimit value{};
};

struct PreparedRlimits {
  std::array<RlimitEntry, 12> entries{};
  std::size_t count = 0;
  std::string detail;  // "core=0 nofile=256 fsize=... cpu=..."
};

// Parent side. Always sets RLIMIT_CORE=0; others from the policy. `cpu_slack_seconds` raises
// RLIMIT_CPU above cpu_time_seconds when the tree-wide CPU-time watch enforces the limit: the
// rlimit is then only the per-process backstop and must not end one process (and leave the
// rest of the tree running) before the watch kills the whole tree.
[[nodiscard]] PreparedRlimits prepare_rlimits(const ResourceLimits& limits, std::uint64_t cpu_slack_seconds = 0);

// Child side, ASYNC-SIGNAL-SAFE: prlimit/setrlimit for each entry. Returns 0 or -errno.
int apply_rlimits(const PreparedRlimits& prepared) noexcept;

}  // namespace kavach::process
