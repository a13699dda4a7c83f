// What the runtime is asked to apply for a policy, decided before the bundle is written, and the
// enforcement report that says so. Fail closed: a requested control this backend/host cannot
// have is an error unless policy.may_degrade lists it. One exception, by design of the backend
// and reported as not applied: Landlock, which no OCI runtime offers (runc 1.1, crun 1.8,
// runsc 2022 have no Landlock support) — the container's mount namespace confines the filesystem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backends/oci/runtime.hpp"
#include "core/controls.hpp"
#include "kavach/backend_kind.hpp"
#include "kavach/enforcement.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci {

struct OciControls {
  bool network_namespace = true;
  bool egress_netns = false;   // allowlist: join kavach's namespace (lo + the proxy's listener)
  bool egress_bridge = false;  // allowlist on runsc: kavach-egress-bridge relays to the proxy's socket
  bool seccomp = false;
  bool guard = false;  // the command runs behind kavach-guard (protected paths)
  bool memory = false;
  bool cpu = false;
  bool pids = false;
  bool cpu_time_watch = false;   // CPU-time limit watched over the container's cgroup
  std::uint64_t extra_pids = 0;  // gVisor: the sentry's own threads share the sandbox's pids limit
  // gVisor: the host's pids.max counts the sentry's threads, not the application's tasks (an
  // exited child holds no host task), so the sentry itself caps them: RLIMIT_NPROC = limits.pids.
  std::optional<std::uint64_t> guest_nproc;
  EnforcementReport report;
};

// gVisor's ptrace platform runs the sentry's goroutine threads and one host stub per
// application thread in the sandbox's cgroup: measured ~50 threads before the first user process.
inline constexpr std::uint64_t kGvisorPidsOverhead = 64;

[[nodiscard]] Result<OciControls> plan_oci_controls(BackendKind kind, const HostInfo& host,
                                                    const SandboxPolicy& policy, const RuntimeChoice& rt);

// Whether runc/crun (oci) or runsc (gvisor) can apply a control at all: everything but Landlock,
// which no runtime applies (the mount and network namespaces confine instead).
[[nodiscard]] bool offers(BackendKind kind, Control c);

// Controls decided later are settled with core's settle_control.
using kavach::settle_control;

// After the run: the limits the kernel actually held in the container's cgroup replace
// "requested" details with what was read back; a limit that is not there is not applied.
struct LimitReadback {
  std::optional<std::uint64_t> memory_limit;
  std::optional<std::uint64_t> pids_limit;
  std::optional<std::int64_t> cpu_quota_us;
  bool found = false;  // the container's cgroup could be read at all
  std::string where;
};
void confirm_limits(OciControls& c, const SandboxPolicy& policy, const LimitReadback& rb);

}  // namespace kavach::oci
