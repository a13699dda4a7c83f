#include "backends/process/control_plan.hpp"

#include <string>

#include "backends/common/disk_control.hpp"
#include "backends/common/guard_launch.hpp"
#include "kavach/network.hpp"

namespace kavach::process {

bool offers(Control) { return true; }

Result<ControlPlan> plan_controls(const HostInfo& host, const SandboxPolicy& policy,
                                  const IdentityOptions& ids) {
  ControlPlan plan;
  plan.report = not_requested_report(policy);  // this backend settles what is requested
  EnforcementReport& r = plan.report;
  auto settle = [&](Control c, bool ok, const std::string& text, std::string mode = {}) {
    return settle_control(r, policy, c, ok, text, std::move(mode));
  };

  // Namespaces. Without a user namespace, only root can create the others.
  const std::string userns_reason =
      "user namespaces unavailable" + (host.userns_reason.empty() ? std::string() : " (" + host.userns_reason + ")");
  if (auto s = settle(Control::ns_user, host.user_namespaces,
                      host.user_namespaces ? "new user namespace" : userns_reason); !s) {
    return tl::unexpected(s.error());
  }
  plan.userns = host.user_namespaces;
  const bool can_ns = plan.userns || host.is_root;
  const std::string ns_reason = "needs a user namespace or root, and neither is available (" + userns_reason + ")";
  struct NsControl {
    Control c;
    bool* flag;
    const char* what;
  };
  for (const NsControl& n : {NsControl{Control::ns_pid, &plan.pidns, "new pid namespace, PID 1 reaps"},
                             NsControl{Control::ns_mount, &plan.mntns, "new mount namespace"},
                             NsControl{Control::ns_ipc, &plan.ipcns, "new IPC namespace"},
                             NsControl{Control::ns_uts, &plan.utsns, "new UTS namespace"},
                             NsControl{Control::ns_cgroup, &plan.cgroupns, "new cgroup namespace"}}) {
    if (auto s = settle(n.c, can_ns, can_ns ? n.what : ns_reason); !s) return tl::unexpected(s.error());
    *n.flag = can_ns;
  }

  // Network: every mode but host is a fresh namespace (network.hpp says what each gives).
  const NetworkView net = network_view(policy);
  const std::string mode(to_string(policy.network.mode));
  if (net.own_namespace) {
    if (auto s = settle(Control::ns_net, can_ns, can_ns ? "new network namespace" : ns_reason); !s) {
      return tl::unexpected(s.error());
    }
    plan.netns = can_ns;
    if (auto s = settle(Control::network, can_ns, can_ns ? net.what : ns_reason, mode); !s) {
      return tl::unexpected(s.error());
    }
    plan.loopback_up = can_ns && net.loopback_up;
    if (net.egress_proxy) {
      if (auto s = settle(Control::egress_proxy, can_ns,
                          can_ns ? net.egress_detail : ns_reason); !s) {
        return tl::unexpected(s.error());
      }
      if (auto s = settle(Control::dns_policy, can_ns, can_ns ? net.dns_detail : ns_reason); !s) {
        return tl::unexpected(s.error());
      }
      plan.egress_listener = can_ns;
    }
  } else {
    r.set(Control::network, true, true, net.what, mode);
  }

  if (policy.fs.readonly_root) {
    if (auto s = settle(Control::readonly_root, plan.mntns,
                        plan.mntns ? "root is a read-only tmpfs with read-only binds"
                                   : "needs a mount namespace"); !s) {
      return tl::unexpected(s.error());
    }
  }
  plan.readonly_root = policy.fs.readonly_root && plan.mntns;

  // Seccomp.
  const std::string seccomp_mode(to_string(policy.seccomp.mode));
  if (policy.seccomp.mode != SeccompMode::none) {
    if (auto s = settle(Control::seccomp, host.seccomp_available,
                        host.seccomp_available ? "seccomp " + seccomp_mode
                                               : "the kernel has no seccomp filter mode", seccomp_mode); !s) {
      return tl::unexpected(s.error());
    }
  }
  // Host safety rides on the same filter: every mode, "none" included, installs one.
  if (auto s = settle(Control::host_safety, host.seccomp_available,
                      host.seccomp_available ? "set-id modes and device nodes refused by seccomp"
                                             : "the kernel has no seccomp filter mode"); !s) {
    return tl::unexpected(s.error());
  }
  plan.seccomp = host.seccomp_available;

  // Landlock, negotiated down to the host's ABI.
  const LandlockPolicy& ll = policy.landlock;
  const int abi = host.landlock_abi;
  plan.landlock_policy = ll;
  if (ll.enabled) {
    const int need = ll.min_abi < 1 ? 1 : ll.min_abi;
    const bool ok = abi >= need;
    std::string why = abi == 0 ? "Landlock is not available in this kernel"
                               : "host Landlock ABI " + std::to_string(abi) +
                                     " is below policy.landlock.min_abi " + std::to_string(need);
    // Only a degraded run goes on; it then gets the rules the host's ABI can express.
    if (!ok && abi > 0 && policy.may_degrade.count(Control::landlock_fs) != 0) {
      why += "; the rules of the host's ABI " + std::to_string(abi) + " are applied instead";
    }
    if (auto s = settle(Control::landlock_fs, ok, ok ? "filesystem rules (ABI " + std::to_string(abi) + ")" : why); !s) {
      return tl::unexpected(s.error());
    }
    plan.landlock = abi > 0;
    plan.landlock_policy.min_abi = abi > 0 && abi < need ? abi : need;
    if (net.landlock_tcp) {
      const bool net_ok = abi >= 4;
      if (auto s = settle(Control::landlock_net, net_ok,
                          net_ok ? "TCP bind/connect rules" : "TCP rules need Landlock ABI 4, host has " + std::to_string(abi)); !s) {
        return tl::unexpected(s.error());
      }
      plan.landlock_policy.restrict_tcp = net_ok;
      plan.landlock_policy.tcp_bind = net.landlock_tcp->bind;
      plan.landlock_policy.tcp_connect = net.landlock_tcp->connect;
    } else {
      plan.landlock_policy.restrict_tcp = false;
    }
    if (ll.scope_signals || ll.scope_abstract_unix) {
      const bool scope_ok = abi >= 6;
      if (auto s = settle(Control::landlock_scopes, scope_ok,
                          scope_ok ? "signal and abstract unix socket scopes"
                                   : "scopes need Landlock ABI 6, host has " + std::to_string(abi)); !s) {
        return tl::unexpected(s.error());
      }
      if (!scope_ok) {
        plan.landlock_policy.scope_signals = false;
        plan.landlock_policy.scope_abstract_unix = false;
      }
    }
  }

  // Cgroup limits: the controller must exist here; placement is settled after creation.
  auto has_ctrl = [&](const char* c) { return host.cgroups.limit_controllers.count(c) != 0; };
  auto no_ctrl = [&](const char* c) {
    return std::string("the host has no usable ") + c + " cgroup controller (layout " +
           std::string(to_string(host.cgroups.layout)) + ")";
  };
  struct Limit {
    Control c;
    const char* ctrl;
    bool requested;
    bool* flag;
  };
  for (const Limit& l : {Limit{Control::cgroup_memory, "memory", policy.limits.memory_bytes.has_value(), &plan.cgroup_memory},
                         Limit{Control::cgroup_cpu, "cpu", policy.limits.cpu_cores.has_value(), &plan.cgroup_cpu},
                         Limit{Control::cgroup_pids, "pids", policy.limits.pids.has_value(), &plan.cgroup_pids}}) {
    if (!l.requested) continue;
    const bool ok = has_ctrl(l.ctrl);
    if (auto s = settle(l.c, ok, ok ? std::string(l.ctrl) + " limit" : no_ctrl(l.ctrl)); !s) {
      return tl::unexpected(s.error());
    }
    *l.flag = ok;
  }

  // CPU time: RLIMIT_CPU bounds each process; the tree as a whole needs cgroup CPU accounting
  // (v2 cpu.stat, or a v1 cpuacct hierarchy) that the supervisor polls. Settled after the
  // cgroup is made (prepare); here only whether the host has any such accounting at all.
  if (policy.limits.cpu_time_seconds) {
    const CgroupInfo& cg = host.cgroups;
    const bool ok = (!cg.v2_mount.empty() && cg.clone_into_cgroup) || cg.v1_mounts.count("cpuacct") != 0;
    if (auto s = settle(Control::cpu_time, ok,
                        ok ? "cgroup CPU accounting"
                           : "no tree-wide CPU accounting on this host (no writable cgroup v2 tree, no v1 "
                             "cpuacct hierarchy; layout " + std::string(to_string(cg.layout)) +
                                 "): RLIMIT_CPU alone limits each process, not the tree"); !s) {
      return tl::unexpected(s.error());
    }
    plan.cpu_time_tree = ok;
  }

  // Protected paths inside writable ones: the guard (seccomp user notification) refuses creating
  // or changing them; it needs the sandbox's own mount view and descriptor hand-over.
  if (guards_protected_paths(policy)) {
    const bool ok = host.seccomp_notify && plan.mntns;
    if (auto s = settle(Control::protected_paths, ok,
                        common::guard_detail(host.seccomp_notify, host.kernel_release,
                                             plan.mntns ? "" : "needs a mount namespace"));
        !s) {
      return tl::unexpected(s.error());
    }
    plan.guard = ok;
  }

  r.set(Control::rlimits, true, true, "core=0 and the policy's limits");
  r.set(Control::capabilities, true, true, "all capability sets emptied");
  r.set(Control::no_new_privs, true, true, "PR_SET_NO_NEW_PRIVS");

  // Identity: the sandbox user is never host root.
  plan.inside_uid = policy.uid;
  plan.inside_gid = policy.gid;
  const bool caller_root = ids.caller_uid == 0;
  if (plan.userns) {
    plan.write_id_maps = true;
    plan.host_uid = caller_root ? ids.sandbox_host_uid : ids.caller_uid;
    plan.host_gid = caller_root ? ids.sandbox_host_gid : ids.caller_gid;
    plan.deny_setgroups = !caller_root;
    plan.idmap_writable = caller_root && plan.mntns;
  } else if (caller_root) {
    // No user namespace but root: switch to the unprivileged host ids directly.
    plan.inside_uid = ids.sandbox_host_uid;
    plan.inside_gid = ids.sandbox_host_gid;
    plan.host_uid = ids.sandbox_host_uid;
    plan.host_gid = ids.sandbox_host_gid;
  } else {
    plan.inside_uid = ids.caller_uid;
    plan.inside_gid = ids.caller_gid;
    plan.host_uid = ids.caller_uid;
    plan.host_gid = ids.caller_gid;
  }
  // Disk: a project quota, set by root and out of the sandbox's reach only when the sandbox is
  // in its own user namespace (project ids change only from the initial one). Whether the
  // writable paths' filesystems take one is settled when it is applied (prepare).
  if (policy.limits.disk_bytes) {
    const bool ok = caller_root && plan.userns;
    if (auto s = settle(Control::disk, ok,
                        ok ? "project quota on the writable paths"
                           : !caller_root ? "setting a project quota needs root (quotactl Q_SETQUOTA needs CAP_SYS_ADMIN)"
                                          : "without a user namespace the sandbox user could move its files out of "
                                            "the quota's project (FS_IOC_FSSETXATTR from the initial user namespace)");
        !s) {
      return tl::unexpected(s.error());
    }
    plan.disk_quota = ok;
  }

  const bool unpriv = plan.host_uid != 0;
  if (auto s = settle(Control::unprivileged_uid, unpriv,
                      unpriv ? "sandbox uid " + std::to_string(plan.inside_uid) + " -> host uid " +
                                   std::to_string(plan.host_uid)
                             : "the sandbox user would be host root"); !s) {
    return tl::unexpected(s.error());
  }
  return plan;
}

}  // namespace kavach::process
