// EnforcementReport: for each control, was it requested, was it really applied, and why not.
// The strength score is computed from this, never from the config.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kavach/error.hpp"

namespace kavach {

enum class Control {
  ns_user,
  ns_pid,
  ns_mount,
  ns_net,
  ns_ipc,
  ns_uts,
  ns_cgroup,
  seccomp,
  landlock_fs,
  landlock_net,
  landlock_scopes,
  cgroup_memory,
  cgroup_cpu,
  cgroup_pids,
  rlimits,
  capabilities,
  no_new_privs,
  readonly_root,
  network,           // network off / loopback / allowlist as the policy asks
  unprivileged_uid,  // sandbox root mapped to a non-root host uid
  cpu_time,          // CPU-time limit for the whole tree (cgroup accounting + watchdog)
  host_safety,       // always requested: no set-id files, device nodes or file capabilities
                     // can be left on the host through a writable path, under every policy
  protected_paths,   // fs.protected_paths stay unwritable (and uncreatable) inside writable ones
  disk,              // bytes the run may add to host disk (project quota on the writable paths)
  egress_proxy,      // network allowlist: kavach's proxy is the only way out, to listed hosts only
  dns_policy,        // network allowlist: no DNS inside; names resolve at the proxy, never to loopback
};

inline constexpr Control kAllControls[] = {
    Control::ns_user,       Control::ns_pid,        Control::ns_mount,       Control::ns_net,
    Control::ns_ipc,        Control::ns_uts,        Control::ns_cgroup,      Control::seccomp,
    Control::landlock_fs,   Control::landlock_net,  Control::landlock_scopes, Control::cgroup_memory,
    Control::cgroup_cpu,    Control::cgroup_pids,   Control::rlimits,        Control::capabilities,
    Control::no_new_privs,  Control::readonly_root, Control::network,        Control::unprivileged_uid,
    Control::cpu_time,      Control::host_safety,   Control::protected_paths,
    Control::disk,          Control::egress_proxy,  Control::dns_policy};

[[nodiscard]] std::string_view to_string(Control c);
[[nodiscard]] Result<Control> parse_control(std::string_view name);

// A control's state in one word, derived from requested/applied: applied (whether asked for or
// given anyway), degraded (requested, not applied: the policy's may_degrade allowed it, or the
// view is "requested" and the backend cannot), not_requested.
enum class ControlState { applied, degraded, not_requested };
[[nodiscard]] std::string_view to_string(ControlState s);

struct ControlStatus {
  Control control;
  bool requested = false;
  bool applied = false;
  std::string detail;  // what was applied ("strict allowlist, 212 rules") or why not
  std::string mode;    // level where a control has several: seccomp strict/basic/custom,
                       // network off/loopback/allowlist/host; empty otherwise
  [[nodiscard]] ControlState state() const {
    return applied ? ControlState::applied : requested ? ControlState::degraded : ControlState::not_requested;
  }
  friend bool operator==(const ControlStatus&, const ControlStatus&) = default;
};

class EnforcementReport {
 public:
  // Record (or overwrite) one control's status.
  void set(Control c, bool requested, bool applied, std::string detail = {},
           std::string mode = {});
  [[nodiscard]] const ControlStatus* find(Control c) const;
  [[nodiscard]] bool applied(Control c) const;
  [[nodiscard]] const std::vector<ControlStatus>& controls() const { return controls_; }
  // Requested but not applied (degraded) controls.
  [[nodiscard]] std::vector<ControlStatus> degraded() const;

 private:
  std::vector<ControlStatus> controls_;
};

}  // namespace kavach
