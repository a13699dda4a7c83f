#include "core/controls.hpp"

#include "kavach/network.hpp"

namespace kavach {

std::vector<RequestedControl> requested_controls(const SandboxPolicy& p) {
  const NetworkView net = network_view(p);
  auto requested = [&](Control c) -> bool {
    switch (c) {
      case Control::ns_user:
      case Control::ns_pid:
      case Control::ns_mount:
      case Control::ns_ipc:
      case Control::ns_uts:
      case Control::ns_cgroup:
      case Control::rlimits:
      case Control::capabilities:
      case Control::no_new_privs:
      case Control::network:
      case Control::unprivileged_uid:
      case Control::host_safety: return true;
      case Control::ns_net: return net.own_namespace;
      case Control::seccomp: return p.seccomp.mode != SeccompMode::none;
      case Control::landlock_fs: return p.landlock.enabled;
      case Control::landlock_net: return net.landlock_tcp.has_value();
      case Control::landlock_scopes:
        return p.landlock.enabled && (p.landlock.scope_signals || p.landlock.scope_abstract_unix);
      case Control::cgroup_memory: return p.limits.memory_bytes.has_value();
      case Control::cgroup_cpu: return p.limits.cpu_cores.has_value();
      case Control::cgroup_pids: return p.limits.pids.has_value();
      case Control::readonly_root: return p.fs.readonly_root;
      case Control::cpu_time: return p.limits.cpu_time_seconds.has_value();
      case Control::protected_paths: return guards_protected_paths(p);
      case Control::disk: return p.limits.disk_bytes.has_value();
      case Control::egress_proxy:
      case Control::dns_policy: return net.egress_proxy;
    }
    return false;
  };
  auto why_not = [&](Control c) -> std::string {
    switch (c) {
      case Control::ns_net: return "not requested: network mode host shares the host's namespace";
      case Control::landlock_net: return p.landlock.enabled ? net.landlock_tcp_detail : "not requested";
      case Control::protected_paths:
        return p.fs.protected_paths.empty() ? "not requested" : "not requested (nothing is writable)";
      case Control::disk: return disk_not_requested_detail(p);
      default: return "not requested";
    }
  };
  std::vector<RequestedControl> out;
  for (Control c : kAllControls) {
    RequestedControl r{c, requested(c), {}, {}};
    if (c == Control::seccomp) r.mode = to_string(p.seccomp.mode);
    if (c == Control::network) r.mode = to_string(p.network.mode);
    if (!r.requested) r.why_not = why_not(c);
    out.push_back(std::move(r));
  }
  return out;
}

EnforcementReport not_requested_report(const SandboxPolicy& policy) {
  EnforcementReport r;
  for (const RequestedControl& q : requested_controls(policy)) {
    if (!q.requested) r.set(q.control, false, false, q.why_not, q.mode);
  }
  return r;
}

std::string disk_not_requested_detail(const SandboxPolicy& policy) {
  if (policy.fs.writable_paths.empty()) return "not requested; no host directory is writable";
  const auto& fsize = policy.limits.file_size_bytes;
  return "disk writes unbounded (" +
         (!fsize ? std::string("no per-file cap: RLIMIT_FSIZE unset")
          : *fsize % (1u << 20) == 0 ? "per-file cap RLIMIT_FSIZE = " + std::to_string(*fsize >> 20) + " MiB"
                                     : "per-file cap RLIMIT_FSIZE = " + std::to_string(*fsize) + " bytes") +
         ")";
}

Result<void> settle_control(EnforcementReport& report, const SandboxPolicy& policy, Control c, bool available,
                            const std::string& detail_or_reason, std::string mode) {
  if (available) {
    report.set(c, true, true, detail_or_reason, std::move(mode));
    return {};
  }
  if (policy.may_degrade.count(c) != 0) {
    report.set(c, true, false, "degraded (allowed by policy): " + detail_or_reason, std::move(mode));
    return {};
  }
  const std::string name(to_string(c));
  return fail(ErrorCode::control_unavailable,
              "control " + name + " cannot be applied on this host: " + detail_or_reason +
                  " (failing closed; list \"" + name + "\" in may_degrade to run without it)",
              {{"control", name}, {"reason", detail_or_reason}});
}

}  // namespace kavach
