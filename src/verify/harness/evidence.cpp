#include "evidence.hpp"

#include <map>

#include "controls.hpp"

namespace kavach::probes {

std::string_view to_string(Held h) {
  switch (h) {
    case Held::held: return "held";
    case Held::not_held: return "NOT HELD";
    case Held::untested: return "untested";
  }
  return "untested";
}

namespace {
Held judge(const std::vector<std::pair<std::string, std::string>>& probes) {
  bool any_pass = false;
  for (const auto& [id, v] : probes) {
    if (v == "FAIL") return Held::not_held;
    if (v == "PASS") any_pass = true;
  }
  return any_pass ? Held::held : Held::untested;
}
}  // namespace

std::vector<ControlRow> control_matrix(const Results& results) {
  std::vector<ControlRow> rows;
  for (Control c : kAllControls) {
    ControlRow row;
    row.control = std::string(to_string(c));
    row.kavach_control = c;
    for (const auto& pc : probe_controls()) {
      if (pc.kavach_control != c) continue;
      auto it = results.find(std::string(pc.id));
      if (it != results.end()) row.probes.emplace_back(it->first, it->second.verdict);
    }
    row.held = judge(row.probes);
    rows.push_back(std::move(row));
  }
  std::map<std::string, ControlRow> hygiene;
  for (const auto& pc : probe_controls()) {
    if (pc.kavach_control) continue;
    auto it = results.find(std::string(pc.id));
    if (it == results.end()) continue;
    auto& row = hygiene[std::string(pc.control)];
    row.control = std::string(pc.control);
    row.probes.emplace_back(it->first, it->second.verdict);
  }
  for (auto& [label, row] : hygiene) {
    row.held = judge(row.probes);
    rows.push_back(std::move(row));
  }
  return rows;
}

EnforcementReport evidence_report(const EnforcementReport& claimed, const std::vector<ControlRow>& matrix) {
  EnforcementReport out;
  for (const ControlStatus& st : claimed.controls()) {
    const ControlRow* row = nullptr;
    for (const auto& r : matrix) {
      if (r.kavach_control == st.control) row = &r;
    }
    bool held = row != nullptr && row->held == Held::held;
    std::string why;
    if (!held) {
      if (row == nullptr || row->held == Held::untested) {
        why = "no probe proved it";
      } else {
        why = "probe failed:";
        for (const auto& [id, v] : row->probes) {
          if (v == "FAIL") why += " " + id;
        }
      }
    }
    out.set(st.control, st.requested, st.applied && held, held ? st.detail : why, st.mode);
  }
  return out;
}

}  // namespace kavach::probes
