// Reading back the cgroup a runtime made for a container (which kavach did not create, so the
// common RunCgroup does not know it): peaks, limit events, CPU time, and the limits the runtime
// actually wrote — read while the stopped container still exists, before `delete`.
// v2 files where the host's limit controller is v2, v1 files on v1 / hybrid hosts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kavach/host.hpp"

namespace kavach::oci {

struct ContainerCgroupStats {
  std::string memory_dir;  // empty when not found
  std::string pids_dir;
  std::uint64_t oom_kills = 0;
  std::uint64_t pids_max_events = 0;
  std::optional<std::uint64_t> memory_peak_bytes;
  std::optional<std::uint64_t> pids_peak;
  std::optional<double> cpu_user_ms;
  std::optional<double> cpu_sys_ms;
  // Limits as the kernel holds them (nullopt: unlimited or not readable).
  std::optional<std::uint64_t> memory_limit;
  std::optional<std::uint64_t> pids_limit;
  std::optional<std::int64_t> cpu_quota_us;
};

// `relative` is the spec's relative cgroupsPath: runtimes place it under their own (= our)
// cgroup in each hierarchy.
[[nodiscard]] ContainerCgroupStats read_container_cgroup(const CgroupInfo& host, const std::string& relative);

// Total CPU time (microseconds) of everything in the container's cgroup: v1 cpuacct.usage, else
// v2 cpu.stat usage_usec. nullopt while the runtime has not created it (or it is gone).
[[nodiscard]] std::optional<std::uint64_t> container_cpu_usage_usec(const CgroupInfo& host, const std::string& relative);

}  // namespace kavach::oci
