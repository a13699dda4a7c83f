#include "backends/oci/controls.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "backends/common/cpu_backstop.hpp"
#include "backends/common/disk_control.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/oci/spec.hpp"
#include "kavach/network.hpp"
#include "kavach/policy_ranges.hpp"

namespace kavach::oci {
namespace {

std::string hex(std::uint32_t v) { return fmt::format("{:#x}", v); }

}  // namespace

namespace {

Result<void> settle(EnforcementReport& r, const SandboxPolicy& p, Control c, bool ok, const std::string& text,
                    std::string mode = {}) {
  return settle_control(r, p, c, ok, text, std::move(mode));
}

}  // namespace

bool offers(BackendKind, Control c) {
  return c != Control::landlock_fs && c != Control::landlock_net && c != Control::landlock_scopes;
}

Result<OciControls> plan_oci_controls(BackendKind kind, const HostInfo& host, const SandboxPolicy& p,
                                      const RuntimeChoice& rt) {
  OciControls c;
  c.report = not_requested_report(p);  // this backend settles what is requested
  EnforcementReport& r = c.report;
  const bool gvisor = kind == BackendKind::gvisor;
  const std::string by = rt.name + " " + rt.version;
  const std::string asked = "requested in config.json, applied by " + by;

  if (!host.is_root) {
    return fail(ErrorCode::backend_unavailable,
                "the " + std::string(to_string(kind)) +
                    " backend runs its runtime as root (container users map to unprivileged host ids "
                    "from " + hex(kHostIdBase) + "); rootless operation is not implemented",
                {{"backend", std::string(to_string(kind))}});
  }
  const std::uint32_t host_uid = kHostIdBase + p.uid;
  if (auto s = settle(r, p, Control::ns_user, host.user_namespaces,
                      host.user_namespaces
                          ? (gvisor ? "user namespace in config.json (gofer runs as host uid " + hex(kHostIdBase) +
                                          "); the sentry runs as nobody in runsc's own user namespace"
                                    : "user namespace: container ids 0-65535 -> host " + hex(kHostIdBase) + "+, " + asked)
                          : "user namespaces unavailable (" + host.userns_reason + ")");
      !s) {
    return tl::unexpected(s.error());
  }
  if (auto s = settle(r, p, Control::unprivileged_uid, host.user_namespaces,
                      host.user_namespaces
                          ? (gvisor ? "application uid " + std::to_string(p.uid) +
                                          " inside the sentry; sentry = host nobody, gofer = host uid " + hex(kHostIdBase)
                                    : "container uid " + std::to_string(p.uid) + " = host uid " + hex(host_uid))
                          : "needs a user namespace");
      !s) {
    return tl::unexpected(s.error());
  }
  const std::string ns_how = gvisor ? "emulated by the gVisor sentry for the application; " + asked : asked;
  for (Control n : {Control::ns_pid, Control::ns_mount, Control::ns_ipc, Control::ns_uts, Control::ns_cgroup}) {
    r.set(n, true, true, ns_how);
  }

  // Network: the same view every backend renders (kavach/network.hpp).
  const NetworkView net = network_view(p);
  const std::string net_mode(to_string(p.network.mode));
  if (net.egress_proxy && !gvisor) {
    // runc and crun join a namespace kavach made: `lo` up and the proxy's listener in it.
    c.egress_netns = true;
    r.set(Control::ns_net, true, true, "network namespace made by kavach and joined by " + rt.name + ", " + asked);
    r.set(Control::network, true, true, net.what, net_mode);
    r.set(Control::egress_proxy, true, true, net.egress_detail);
    r.set(Control::dns_policy, true, true, net.dns_detail);
  } else if (net.egress_proxy) {
    // runsc's netstack lives in the sentry, where no host listener can be placed (and runsc
    // 2022's own networking refuses kernels >= 6.x). kavach-egress-bridge listens on the same
    // 127.0.0.1 address inside the sentry and relays to the proxy's host Unix socket.
    c.egress_bridge = true;
    r.set(Control::ns_net, true, true,
          "runsc --network=none: the sentry's netstack has loopback only, no host interface; " + asked);
    r.set(Control::network, true, true, net.what, net_mode);
    r.set(Control::egress_proxy, true, true,
          net.egress_detail + "; inside the sentry kavach-egress-bridge relays 127.0.0.1:" +
              std::to_string(kEgressProxyPort) +
              " to the proxy's Unix socket (runsc --host-uds=open: as under runc, Unix sockets in the paths the "
              "policy mounts can be connected to)");
    r.set(Control::dns_policy, true, true, net.dns_detail);
  } else if (!net.own_namespace && gvisor) {
    // Measured with runsc from Debian 12: --network=host starts the sandbox in the container's
    // user namespace, where host root is unmapped, so the sandbox process has no capabilities
    // after exec and its chroot set-up fails ("error converting mounts: operation not
    // permitted"); without that user namespace the sentry and the gofer would run as host root.
    if (auto s = settle(r, p, Control::network, false,
                        "runsc's host network runs the sandbox in the container's user namespace, where its "
                        "set-up fails with EPERM (runsc 2022), and without one the sentry and gofer would be host "
                        "root; use the process or oci backend for network mode host; degraded runs get no "
                        "network at all",
                        net_mode);
        !s) {
      return tl::unexpected(s.error());
    }
    r.set(Control::ns_net, false, true, "network namespace without interfaces instead of the host's");
  } else if (!net.own_namespace) {
    c.network_namespace = false;
    r.set(Control::network, true, true, net.what, net_mode);
  } else {
    const std::string what = gvisor ? "runsc --network=none: the sentry's netstack has loopback only, no host interface"
                                    : "new network namespace with loopback only (" + rt.name + " brings lo up), no route out";
    r.set(Control::ns_net, true, true, gvisor ? "network namespace; " + asked : "new network namespace, " + asked);
    r.set(Control::network, true, true, what, net_mode);
  }

  const std::string sc_mode(to_string(p.seccomp.mode));
  if (p.seccomp.mode != SeccompMode::none) {
    const bool ok = host.seccomp_available;
    if (auto s = settle(r, p, Control::seccomp, ok,
                        ok ? (gvisor ? "OCI profile enforced on the application by the sentry (--oci-seccomp); "
                                       "gVisor's own filter confines the sentry on the host"
                                     : "OCI profile in config.json, loaded by " + by + " before exec")
                           : "the kernel has no seccomp filter mode",
                        sc_mode);
        !s) {
      return tl::unexpected(s.error());
    }
  }
  // Host safety rides on the profile: every mode, "none" included, renders one.
  if (auto s = settle(r, p, Control::host_safety, host.seccomp_available,
                      host.seccomp_available
                          ? "set-id modes and device nodes refused by the OCI seccomp profile" +
                                std::string(gvisor ? " (enforced by the sentry)" : "")
                          : "the kernel has no seccomp filter mode");
      !s) {
    return tl::unexpected(s.error());
  }
  c.seccomp = host.seccomp_available;

  // Protected paths inside writable ones: kavach-guard in front of the command traps path
  // changes with seccomp user notification (the container's own kernel — the host's for runc/
  // crun; gVisor's sentry does not implement user notification).
  if (guards_protected_paths(p)) {
    const bool ok = host.seccomp_notify && !gvisor;
    const std::string blocker = gvisor ? "gVisor's sentry does not implement seccomp user notification, which "
                                         "kavach-guard needs to keep protected paths from being created"
                                       : "";
    if (auto s = settle(r, p, Control::protected_paths, ok,
                        common::guard_detail(host.seccomp_notify, host.kernel_release, blocker));
        !s) {
      return tl::unexpected(s.error());
    }
    c.guard = ok;
  }

  // Landlock: not something an OCI runtime can be asked for. Reported, not silently dropped.
  const std::string no_landlock = "not offered by OCI runtimes (" + by +
                                  " has no Landlock); the filesystem is confined by the container's mount "
                                  "namespace (only the policy's paths are mounted)";
  if (p.landlock.enabled) r.set(Control::landlock_fs, true, false, no_landlock);
  if (p.landlock.enabled && net.landlock_tcp) {
    r.set(Control::landlock_net, true, false, "not offered by OCI runtimes; TCP is confined by the network namespace instead");
  }
  if (p.landlock.enabled && (p.landlock.scope_signals || p.landlock.scope_abstract_unix)) {
    r.set(Control::landlock_scopes, true, false,
          "not offered by OCI runtimes; signals and abstract sockets are confined by the pid and network namespaces "
          "instead");
  }

  auto limit = [&](Control ctl, const char* ctrl, bool wanted, const std::string& what, bool& flag) -> Result<void> {
    if (!wanted) return {};
    const auto it = host.cgroups.limit_controllers.find(ctrl);
    const bool ok = it != host.cgroups.limit_controllers.end();
    const std::string writer = gvisor ? "written by kavach into the cgroup runsc runs the sandbox in (runsc keeps a "
                                        "pre-created cgroup as it is)"
                                      : "written by " + by;
    auto s = settle(r, p, ctl, ok,
                    ok ? what + " in the container's cgroup (" + it->second + "), " + writer
                       : "the host has no usable " + std::string(ctrl) + " controller");
    flag = ok;
    return s;
  };
  const auto& l = p.limits;
  // pids.max takes at most PID_MAX_LIMIT (the policy's maximum): near it the sentry's share shrinks.
  if (gvisor && l.pids) {
    c.extra_pids = std::min(kGvisorPidsOverhead, ranges::kPidMaxLimit - std::min(*l.pids, ranges::kPidMaxLimit));
    c.guest_nproc = l.nproc ? std::min(*l.nproc, *l.pids) : *l.pids;
  }
  std::string mem = l.memory_bytes ? std::to_string(*l.memory_bytes >> 20) + " MiB" : "";
  if (l.memory_bytes && l.swap_bytes) mem += " + swap " + std::to_string(*l.swap_bytes >> 20) + " MiB";
  if (gvisor) mem += " for the whole sandbox (sentry + application; exceeding it kills the sandbox)";
  if (auto s = limit(Control::cgroup_memory, "memory", l.memory_bytes.has_value(), mem, c.memory); !s) return tl::unexpected(s.error());
  if (auto s = limit(Control::cgroup_cpu, "cpu", l.cpu_cores.has_value(),
                     l.cpu_cores ? std::to_string(*l.cpu_cores) + " cores" : "", c.cpu);
      !s) {
    return tl::unexpected(s.error());
  }
  std::string pids = l.pids ? std::to_string(*l.pids) + " pids" : "";
  if (gvisor && l.pids) {
    pids = std::to_string(*l.pids + c.extra_pids) + " host tasks (" + std::to_string(*l.pids) + " + " +
           std::to_string(c.extra_pids) + " for the sentry; reaching it kills the sandbox), and the application's " +
           "tasks, zombies included, capped at " + std::to_string(*c.guest_nproc) + " by the sentry (RLIMIT_NPROC)";
  }
  if (auto s = limit(Control::cgroup_pids, "pids", l.pids.has_value(), pids, c.pids); !s) return tl::unexpected(s.error());

  // CPU time: RLIMIT_CPU is per process; the container as a whole is watched through its
  // cgroup's CPU accounting (polled by the supervisor, killed through the runtime at the limit).
  if (l.cpu_time_seconds) {
    const bool ok = !host.cgroups.v2_mount.empty() || host.cgroups.v1_mounts.count("cpuacct") != 0;
    if (auto s = settle(r, p, Control::cpu_time, ok,
                        ok ? std::to_string(*l.cpu_time_seconds) +
                                 " s for the whole container: its cgroup's CPU accounting " +
                                 common::cpu_watch_detail() + " (through the runtime)"
                           : "no cgroup CPU accounting on this host (no v2 tree, no v1 cpuacct): RLIMIT_CPU alone "
                             "limits each process, not the container"); !s) {
      return tl::unexpected(s.error());
    }
    c.cpu_time_watch = ok;
  }

  // Disk: the project quota is put on the writable directories once the bundle names them
  // (settled in exec); here only what the report says until then.
  if (l.disk_bytes) r.set(Control::disk, true, false, "project quota on the writable paths: not set yet");

  std::string rl = "core=0";
  if (l.open_files) rl += " nofile=" + std::to_string(*l.open_files);
  if (l.file_size_bytes) rl += " fsize=" + std::to_string(*l.file_size_bytes);
  if (l.address_space_bytes) rl += " as=" + std::to_string(*l.address_space_bytes);
  if (l.cpu_time_seconds) rl += " cpu=" + std::to_string(*l.cpu_time_seconds) + "s";
  if (l.nproc) rl += " nproc=" + std::to_string(*l.nproc);
  r.set(Control::rlimits, true, true, rl + ", " + asked);
  std::string kept;
  for (const auto& k : p.keep_capabilities) kept += (kept.empty() ? "" : ",") + k;
  r.set(Control::capabilities, true, true,
        (kept.empty() ? std::string("all five sets empty") : "all five sets = {" + kept + "}") + ", " + asked);
  r.set(Control::no_new_privs, true, true, "noNewPrivileges, " + asked);
  if (p.fs.readonly_root) r.set(Control::readonly_root, true, true, "root.readonly, " + asked);
  return c;
}

void confirm_limits(OciControls& c, const SandboxPolicy& p, const LimitReadback& rb) {
  auto confirm = [&](Control ctl, bool planned, bool held, const std::string& read) {
    if (!planned) return;
    const ControlStatus* st = c.report.find(ctl);
    if (st == nullptr || !st->applied) return;
    if (!rb.found) {
      c.report.set(ctl, true, true, st->detail + " (not verified: the container's cgroup could not be read)");
      return;
    }
    if (held) {
      c.report.set(ctl, true, true, st->detail + "; verified: " + read);
    } else {
      c.report.set(ctl, true, false, "requested but not found in the container's cgroup: " + read);
    }
  };
  const auto& l = p.limits;
  if (l.memory_bytes) {
    confirm(Control::cgroup_memory, c.memory, rb.memory_limit && *rb.memory_limit == *l.memory_bytes,
            "memory limit " + (rb.memory_limit ? std::to_string(*rb.memory_limit) : std::string("none")) + " at " + rb.where);
  }
  if (l.pids) {
    confirm(Control::cgroup_pids, c.pids, rb.pids_limit && *rb.pids_limit == *l.pids + c.extra_pids,
            "pids.max " + (rb.pids_limit ? std::to_string(*rb.pids_limit) : std::string("max")));
  }
  if (l.cpu_cores) {
    const auto want = static_cast<std::int64_t>(std::llround(*l.cpu_cores * 100'000.0));
    confirm(Control::cgroup_cpu, c.cpu, rb.cpu_quota_us && std::llabs(*rb.cpu_quota_us - want) <= 1000,
            "cpu quota " + (rb.cpu_quota_us ? std::to_string(*rb.cpu_quota_us) + " us/100 ms" : std::string("none")));
  }
}

}  // namespace kavach::oci
