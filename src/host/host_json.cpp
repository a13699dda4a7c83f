#include <nlohmann/json.hpp>

#include "kavach/host.hpp"

namespace kavach {

nlohmann::json to_json(const HostInfo& h) {
  nlohmann::json cg = {
      {"layout", std::string(to_string(h.cgroups.layout))},
      {"v2_mount", h.cgroups.v2_mount},
      {"v2_controllers", h.cgroups.v2_controllers},
      {"v1_mounts", h.cgroups.v1_mounts},
      {"limit_controllers", h.cgroups.limit_controllers},
      {"clone_into_cgroup", h.cgroups.clone_into_cgroup},
      {"cgroup_kill", h.cgroups.cgroup_kill},
      {"own_paths", h.cgroups.own_paths},
  };
  return {
      {"kernel_release", h.kernel_release},
      {"landlock_abi", h.landlock_abi},
      {"seccomp_available", h.seccomp_available},
      {"seccomp_notify", h.seccomp_notify},
      {"user_namespaces", h.user_namespaces},
      {"userns_reason", h.userns_reason},
      {"is_root", h.is_root},
      {"cgroups", cg},
      {"kvm_usable", h.kvm_usable},
      {"runtimes", h.runtimes},
      {"sgx_device", h.sgx_device},
      {"sev_device", h.sev_device},
      {"tdx_device", h.tdx_device},
  };
}

}  // namespace kavach
