// Host probe ("doctor"): what this machine can enforce. Backends decide availability from it;
// tests inject a fake HostInfo to exercise fail-closed paths.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace kavach {

enum class CgroupLayout { none, v1, hybrid, v2 };

struct CgroupInfo {
  CgroupLayout layout = CgroupLayout::none;
  std::string v2_mount;                            // e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified
  std::set<std::string> v2_controllers;            // controllers enabled at the v2 root
  std::map<std::string, std::string> v1_mounts;    // controller -> mount point (memory, pids, cpu)
  bool clone_into_cgroup = false;                  // v2 tree usable for CLONE_INTO_CGROUP
  bool cgroup_kill = false;                        // v2 cgroup.kill present
  // Our own cgroup per hierarchy from /proc/self/cgroup: controller -> path ("v2" for unified).
  std::map<std::string, std::string> own_paths;
  // Controller usable for limits and where: "memory" -> "v2" / "v1".
  std::map<std::string, std::string> limit_controllers;
};

struct HostInfo {
  std::string kernel_release;
  int landlock_abi = 0;            // 0 = Landlock absent/disabled
  bool seccomp_available = false;  // seccomp filter mode supported
  // seccomp user notification with descriptor hand-over (SECCOMP_ADDFD_FLAG_SEND, kernel 5.14):
  // what the protected-path guard needs.
  bool seccomp_notify = false;
  bool user_namespaces = false;    // we can create a user namespace now
  std::string userns_reason;       // why not (sysctl name and value)
  bool is_root = false;
  CgroupInfo cgroups;
  bool kvm_usable = false;
  std::map<std::string, std::string> runtimes;  // name -> absolute path (crun, runc, runsc, ...)
  bool sgx_device = false;
  bool sev_device = false;
  bool tdx_device = false;
};

[[nodiscard]] std::string_view to_string(CgroupLayout l);

// Probe the live host. Cheap enough to call per CLI invocation; cached by probe_host_cached().
[[nodiscard]] HostInfo probe_host();
[[nodiscard]] const HostInfo& probe_host_cached();
// The kernel's part only — everything but `runtimes` (left empty), which costs a PATH search
// for every runtime and VMM (~0.4 ms): what the process and noop backends need.
[[nodiscard]] const HostInfo& probe_kernel_cached();

[[nodiscard]] nlohmann::json to_json(const HostInfo& h);

}  // namespace kavach
