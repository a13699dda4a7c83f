// StrengthScore: 0-100 from the backend's base plus modifiers for controls that were APPLIED.
#pragma once

#include <string>
#include <vector>

#include "kavach/backend_kind.hpp"
#include "kavach/enforcement.hpp"
#include "kavach/policy.hpp"

namespace kavach {

struct ScoreItem {
  std::string label;  // "base: process", "seccomp strict allowlist", ...
  int points = 0;
};

struct StrengthScore {
  int value = 0;       // clamped to 0..100
  std::string label;   // minimal <30, basic <50, standard <70, hardened <85, fortress >=85
  // "enforced" (from a run's report) or "requested" (from a policy, before running).
  std::string basis = "enforced";
  std::vector<ScoreItem> breakdown;
};

[[nodiscard]] int base_score(BackendKind kind);
[[nodiscard]] std::string score_label(int value);

// The enforced score: only controls the report shows as applied count.
[[nodiscard]] StrengthScore compute_score(BackendKind kind, const EnforcementReport& report);

// Whether a backend kind can apply a control at all (OCI runtimes have no Landlock; noop applies
// nothing), independent of what this host offers.
[[nodiscard]] bool backend_offers(BackendKind kind, Control control);

// What the policy asks for, as a report in which every requested control the backend offers is
// assumed applied; controls the backend cannot apply are shown unapplied, with the reason.
[[nodiscard]] EnforcementReport requested_report(BackendKind kind, const SandboxPolicy& policy);
// The "requested" score: what a run would get if the host applies everything the backend offers.
[[nodiscard]] StrengthScore requested_score(BackendKind kind, const SandboxPolicy& policy);

}  // namespace kavach
