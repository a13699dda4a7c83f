// The one table: probe -> the control it proves -> how that control is switched off for the
// negative control (where the probe must report FAIL).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kavach/enforcement.hpp"
#include "kavach/policy.hpp"

namespace kavach::probes {

enum class Weakening {
  policy,          // the backend runs a policy with this probe's control switched off
  unsandboxed,     // no policy knob exists: the probe runs directly on this host
  detector,        // harness-side check: fed a planted hole (naive copy-out, planted mount...)
  not_applicable,  // nothing to weaken here (e.g. no user-notification supervisor)
};

struct WeakenContext {
  std::filesystem::path secret_dir;  // host dir holding the canaries
  std::string canary_env;            // name of the launcher's canary variable
};

using WeakenFn = void (*)(SandboxPolicy&, const WeakenContext&);

struct ProbeControl {
  std::string_view id;
  std::string_view control;                 // what it proves, e.g. "seccomp", "pid namespace"
  std::optional<Control> kavach_control;    // the EnforcementReport control it is evidence for
  Weakening kind;
  std::string_view weakening;               // human description of the negative control
  WeakenFn weaken = nullptr;                // kind == policy
  // Extra expectation for the negative run only (after the promise's, so it wins), where the
  // promise itself cannot be out-run on a busy shared host.
  std::string_view negative_expect = {};
};

[[nodiscard]] const std::vector<ProbeControl>& probe_controls();
[[nodiscard]] const ProbeControl* find_probe_control(std::string_view id);

}  // namespace kavach::probes
