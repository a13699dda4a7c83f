// What a policy asks for, and what happens when a backend cannot give it: decided here, once,
// for every backend. A backend only answers whether it can apply a control (and how).
#pragma once

#include <string>
#include <vector>

#include "kavach/enforcement.hpp"
#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach {

struct RequestedControl {
  Control control;
  bool requested = false;
  std::string mode;     // seccomp strict/basic/custom, network off/loopback/allowlist/host
  std::string why_not;  // not requested: what the report says instead ("not requested", or more)
};

// Every control, in kAllControls order, with whether the policy requests it. The score's
// requested view and every backend's enforcement report agree with this (ControlRequests test).
[[nodiscard]] std::vector<RequestedControl> requested_controls(const SandboxPolicy& policy);

// Where a backend's report starts: every control the policy does not request recorded as not
// requested, with its why_not; the backend settles the requested ones.
[[nodiscard]] EnforcementReport not_requested_report(const SandboxPolicy& policy);

// Why disk is not requested: no writable path, or what bounds writes instead (RLIMIT_FSIZE).
[[nodiscard]] std::string disk_not_requested_detail(const SandboxPolicy& policy);

// Record one requested control: applied when `available` (detail says how); otherwise degraded
// when the policy's may_degrade names it, recorded with the reason; otherwise the run fails
// closed with control_unavailable naming the control and the reason.
[[nodiscard]] Result<void> settle_control(EnforcementReport& report, const SandboxPolicy& policy, Control c,
                                          bool available, const std::string& detail_or_reason,
                                          std::string mode = {});

}  // namespace kavach
