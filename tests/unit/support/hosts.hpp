// Host descriptions for planning tests: what a backend decides for a host, without the host.
#pragma once

#include "kavach/host.hpp"

namespace kavach::test {

// A host that offers every control: root, user namespaces, seccomp with notify, Landlock ABI 7,
// a pure v2 cgroup tree with memory, cpu and pids, CLONE_INTO_CGROUP and cgroup.kill.
inline HostInfo full_host() {
  HostInfo h;
  h.kernel_release = "6.18.0";
  h.landlock_abi = 7;
  h.seccomp_available = true;
  h.seccomp_notify = true;
  h.user_namespaces = true;
  h.is_root = true;
  h.cgroups.layout = CgroupLayout::v2;
  h.cgroups.v2_mount = "/sys/fs/cgroup";
  h.cgroups.clone_into_cgroup = true;
  h.cgroups.cgroup_kill = true;
  h.cgroups.limit_controllers = {{"memory", "v2"}, {"cpu", "v2"}, {"pids", "v2"}};
  return h;
}

}  // namespace kavach::test
