// Which controls this run gets, decided from the HostInfo the backend was created with (so
// tests can inject a host that lacks features). Fail closed: a requested control the host
// cannot apply is an error naming the control and the host's reason, unless the policy's
// may_degrade lists it, in which case the report records applied=false with that reason.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/controls.hpp"
#include "kavach/enforcement.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::process {

// Identity facts of the calling process and the id the sandbox user maps to.
struct IdentityOptions {
  uid_t caller_uid = 0;
  gid_t caller_gid = 0;
  // Host ids for the sandbox user when kavach runs as root (never 0). High and unusual so it
  // collides with no real user or typical subordinate-id ranges (/etc/subuid starts at 100000).
  uid_t sandbox_host_uid = 0x70000000;
  gid_t sandbox_host_gid = 0x70000000;
};

struct ControlPlan {
  bool userns = false;
  bool pidns = false;
  bool mntns = false;
  bool netns = false;
  bool ipcns = false;
  bool utsns = false;
  bool cgroupns = false;
  bool seccomp = false;
  bool landlock = false;          // a ruleset is built and applied
  LandlockPolicy landlock_policy;  // adjusted to what the host supports
  bool loopback_up = false;
  bool egress_listener = false;  // allowlist: PID 1 makes the proxy's listener in the new netns
  bool readonly_root = false;
  bool cgroup_memory = false;
  bool cgroup_cpu = false;
  bool cgroup_pids = false;
  bool cpu_time_tree = false;  // CPU-time limit watched over the whole tree (cgroup accounting)
  bool guard = false;          // the command runs behind kavach-guard (protected paths)
  bool disk_quota = false;     // a project quota is put on the writable paths (settled then)
  // Identity: the uid/gid the child switches to (inside the userns, or on the host without one)
  // and the host ids they are mapped to.
  uid_t inside_uid = 0;
  gid_t inside_gid = 0;
  uid_t host_uid = 0;
  gid_t host_gid = 0;
  bool write_id_maps = false;
  bool deny_setgroups = false;  // unprivileged callers must deny setgroups before gid_map
  bool idmap_writable = false;  // writable paths through idmapped mounts
  EnforcementReport report;     // requested/applied with details; refined after set-up
};

[[nodiscard]] Result<ControlPlan> plan_controls(const HostInfo& host, const SandboxPolicy& policy,
                                                const IdentityOptions& ids);

// Whether the process backend can apply a control at all, on a host that has what it needs:
// every control.
[[nodiscard]] bool offers(Control c);

// Controls decided later (cgroup placement) are settled with core's settle_control.
using kavach::settle_control;

}  // namespace kavach::process
