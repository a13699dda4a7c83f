#include "kavach/enforcement.hpp"

#include <algorithm>
#include <string>

#include "core/enum_parse.hpp"

namespace kavach {

std::string_view to_string(Control c) {
  switch (c) {
    case Control::ns_user: return "ns_user";
    case Control::ns_pid: return "ns_pid";
    case Control::ns_mount: return "ns_mount";
    case Control::ns_net: return "ns_net";
    case Control::ns_ipc: return "ns_ipc";
    case Control::ns_uts: return "ns_uts";
    case Control::ns_cgroup: return "ns_cgroup";
    case Control::seccomp: return "seccomp";
    case Control::landlock_fs: return "landlock_fs";
    case Control::landlock_net: return "landlock_net";
    case Control::landlock_scopes: return "landlock_scopes";
    case Control::cgroup_memory: return "cgroup_memory";
    case Control::cgroup_cpu: return "cgroup_cpu";
    case Control::cgroup_pids: return "cgroup_pids";
    case Control::rlimits: return "rlimits";
    case Control::capabilities: return "capabilities";
    case Control::no_new_privs: return "no_new_privs";
    case Control::readonly_root: return "readonly_root";
    case Control::network: return "network";
    case Control::unprivileged_uid: return "unprivileged_uid";
    case Control::cpu_time: return "cpu_time";
    case Control::host_safety: return "host_safety";
    case Control::protected_paths: return "protected_paths";
    case Control::disk: return "disk";
    case Control::egress_proxy: return "egress_proxy";
    case Control::dns_policy: return "dns_policy";
  }
  return "unknown";
}

std::string_view to_string(ControlState s) {
  switch (s) {
    case ControlState::applied: return "applied";
    case ControlState::degraded: return "degraded";
    case ControlState::not_requested: return "not_requested";
  }
  return "not_requested";
}

Result<Control> parse_control(std::string_view name) {
  return parse_enum<Control>(name, kAllControls, ErrorCode::policy_value, "control", "controls");
}

void EnforcementReport::set(Control c, bool requested, bool applied, std::string detail,
                            std::string mode) {
  auto it = std::find_if(controls_.begin(), controls_.end(),
                         [c](const ControlStatus& s) { return s.control == c; });
  ControlStatus st{c, requested, applied, std::move(detail), std::move(mode)};
  if (it == controls_.end()) {
    controls_.push_back(std::move(st));
  } else {
    *it = std::move(st);
  }
}

const ControlStatus* EnforcementReport::find(Control c) const {
  auto it = std::find_if(controls_.begin(), controls_.end(),
                         [c](const ControlStatus& s) { return s.control == c; });
  return it == controls_.end() ? nullptr : &*it;
}

bool EnforcementReport::applied(Control c) const {
  const ControlStatus* s = find(c);
  return s != nullptr && s->applied;
}

std::vector<ControlStatus> EnforcementReport::degraded() const {
  std::vector<ControlStatus> out;
  for (const auto& s : controls_) {
    if (s.requested && !s.applied) out.push_back(s);
  }
  return out;
}

}  // namespace kavach
