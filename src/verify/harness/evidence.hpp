// From probe verdicts to claims: which controls the probes showed to hold, and an
// EnforcementReport in which only those controls count as applied (for the evidence-backed score).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kavach/enforcement.hpp"
#include "results.hpp"

namespace kavach::probes {

enum class Held { held, not_held, untested };
[[nodiscard]] std::string_view to_string(Held h);

struct ControlRow {
  std::string control;                 // kavach control name, or a hygiene label
  std::optional<Control> kavach_control;
  std::vector<std::pair<std::string, std::string>> probes;  // id, verdict
  Held held = Held::untested;
};

// One row per kavach Control (all of them), then one per hygiene label (controls.hpp labels of
// probes that prove no EnforcementReport control). held: every probe PASS/SKIP/INFO and at
// least one PASS; not_held: any FAIL; untested: no PASS.
[[nodiscard]] std::vector<ControlRow> control_matrix(const Results& results);

// The claimed report with applied=false for every control whose row is not `held` (detail
// says which probe failed or that no probe proved it).
[[nodiscard]] EnforcementReport evidence_report(const EnforcementReport& claimed,
                                                const std::vector<ControlRow>& matrix);

}  // namespace kavach::probes
