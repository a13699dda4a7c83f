// Severities, verdicts and the policy between them; JSON form of findings and reports.
#include <array>

#include "kavach/gate.hpp"

namespace kavach::gate {
namespace {

constexpr std::array<std::string_view, 5> kSeverity{"info", "low", "medium", "high", "critical"};
constexpr std::array<std::string_view, 4> kVerdict{"pass", "warn", "quarantine", "block"};

}  // namespace

std::string_view to_string(Severity s) { return kSeverity[static_cast<std::size_t>(s)]; }
std::string_view to_string(Verdict v) { return kVerdict[static_cast<std::size_t>(v)]; }

Result<Severity> parse_severity(std::string_view name) {
  for (std::size_t i = 0; i < kSeverity.size(); ++i) {
    if (kSeverity[i] == name) return static_cast<Severity>(i);
  }
  return fail(ErrorCode::invalid_argument,
              "unknown severity \"" + std::string(name) + "\" (info, low, medium, high, critical)");
}

Result<Verdict> parse_verdict(std::string_view name) {
  for (std::size_t i = 0; i < kVerdict.size(); ++i) {
    if (kVerdict[i] == name) return static_cast<Verdict>(i);
  }
  return fail(ErrorCode::invalid_argument,
              "unknown verdict \"" + std::string(name) + "\" (pass, warn, quarantine, block)");
}

Verdict VerdictPolicy::verdict_for(std::string_view rule_id, Severity s) const {
  const auto it = by_rule.find(rule_id);
  if (it != by_rule.end()) return it->second;
  return by_severity[static_cast<std::size_t>(s)];
}

nlohmann::json to_json(const Finding& f) {
  nlohmann::json j{{"rule", f.rule_id},
                   {"severity", to_string(f.severity)},
                   {"verdict", to_string(f.verdict)},
                   {"source", f.source},
                   {"begin", f.begin},
                   {"end", f.end},
                   {"line", f.line},
                   {"preview", f.preview}};
  if (!f.encoding.empty()) j["encoding"] = f.encoding;
  if (!f.rewritten) j["rewritten"] = false;
  return j;
}

nlohmann::json to_json(const Report& r) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.findings) findings.push_back(to_json(f));
  return nlohmann::json{{"verdict", to_string(r.verdict)},
                        {"findings", std::move(findings)},
                        {"bytes_scanned", r.bytes_scanned},
                        {"limit_exceeded", r.limit_exceeded}};
}

}  // namespace kavach::gate
