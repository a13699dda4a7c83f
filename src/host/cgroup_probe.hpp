// Cgroup layout detection (v2 / hybrid / v1) from mountinfo, testable with fixture files.
#pragma once

#include <string>

#include "kavach/host.hpp"

namespace kavach::host {

// `mountinfo` and `self_cgroup` are paths (normally /proc/self/...), so tests can pass fixtures.
[[nodiscard]] CgroupInfo probe_cgroups(const std::string& mountinfo, const std::string& self_cgroup);

}  // namespace kavach::host
