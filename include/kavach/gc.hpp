// Garbage collection of container runs that ended without cleaning up (a crashed or killed
// kavach): containers in kavach's own runtime state roots, bundle directories (with any
// idmapped mounts under them) and the containers' cgroup directories; and, for runs of any
// backend, disk quotas (limits.disk_bytes) left on host directories. Runs whose owning process is
// still alive are never touched.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kavach/error.hpp"

namespace kavach {

struct GcEntry {
  std::string kind;    // "container", "bundle", "cgroup", "disk_quota"
  std::string name;    // container id, or the directory
  std::string detail;  // runtime, owner pid, ...
  std::string action;  // "removed", "would remove", "kept: owner pid N alive", "failed: ..."
};

struct GcReport {
  std::vector<GcEntry> entries;
  std::size_t removed = 0;
  std::size_t kept = 0;
  std::size_t failed = 0;
};

// dry_run: list what would be removed, change nothing.
[[nodiscard]] Result<GcReport> collect_garbage(bool dry_run = false);

[[nodiscard]] nlohmann::json to_json(const GcReport& report);

}  // namespace kavach
