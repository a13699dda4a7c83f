// The "requested" view of a policy on a backend kind (kavach policy check, the noop backend's
// report): core says what the policy asks for (requested_controls), each backend what it can
// apply at all (offers). Here, in the layer that knows every backend.
#include "backends/oci/controls.hpp"
#include "backends/process/control_plan.hpp"
#include "core/controls.hpp"
#include "kavach/score.hpp"

namespace kavach {

// Each backend answers for itself; a backend without a driver yet is shown as offering every
// control (the requested view says what it would be asked for).
bool backend_offers(BackendKind kind, Control control) {
  switch (kind) {
    case BackendKind::noop: return false;
    case BackendKind::process: return process::offers(control);
    case BackendKind::oci:
    case BackendKind::gvisor: return oci::offers(kind, control);
    default: return true;
  }
}

EnforcementReport requested_report(BackendKind kind, const SandboxPolicy& p) {
  EnforcementReport r;
  for (const RequestedControl& q : requested_controls(p)) {
    const bool offered = backend_offers(kind, q.control);
    std::string detail = !q.requested ? "not requested"
                         : offered    ? "requested by policy"
                         : kind == BackendKind::noop
                             ? "requested; the noop backend enforces nothing"
                             : "requested; not offered by the " + std::string(to_string(kind)) + " backend";
    r.set(q.control, q.requested, q.requested && offered, std::move(detail), q.mode);
  }
  return r;
}

StrengthScore requested_score(BackendKind kind, const SandboxPolicy& policy) {
  StrengthScore s = compute_score(kind, requested_report(kind, policy));
  s.basis = "requested";
  return s;
}

}  // namespace kavach
