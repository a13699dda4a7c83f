// The labelled corpus (tests/data/gate, written by scripts/gate-corpus-gen): every true positive
// is found by its rule and redacted completely; no hard negative produces a finding.
#include <nlohmann/json.hpp>

#include <set>

#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

struct Positive {
  std::string rule;
  std::string text;
  std::string secret;
};

std::vector<Positive> load_positives() {
  std::vector<Positive> out;
  std::ifstream in(data_dir() / "positives.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    out.push_back({j["rule"], j["text"], j["secret"]});
  }
  return out;
}

TEST(GateCorpus, EveryRuleHasAPositive) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::set<std::string> with_positive;
  for (const auto& p : load_positives()) with_positive.insert(p.rule);
  const auto rules = gate->rules();
  EXPECT_GE(rules.size(), 140u);
  std::size_t credentials = 0;
  for (const auto& r : rules) {
    EXPECT_TRUE(with_positive.count(r.id)) << "no true positive in the corpus for " << r.id;
    if (std::find(r.tags.begin(), r.tags.end(), "credential") != r.tags.end()) ++credentials;
  }
  EXPECT_GE(credentials, 120u) << "the issue asks for at least 120 credential formats";
}

TEST(GateCorpus, PositivesFoundAndFullyRedacted) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const auto positives = load_positives();
  ASSERT_GT(positives.size(), 200u);
  std::size_t found = 0;
  Options redact_all;
  redact_all.redact_personal_data = true;  // every rule's redaction, personal data included
  for (const auto& p : positives) {
    const auto s = scan(gate, p.text, 0, redact_all);
    const auto pos = p.text.find(p.secret);
    ASSERT_NE(pos, std::string::npos);
    const bool rule_ok = has_rule(s.report, p.rule);
    const bool redacted = s.out.find(p.secret) == std::string::npos && covered(s.report, pos, p.secret.size());
    EXPECT_TRUE(rule_ok) << p.rule << " not found in: " << p.text << " (found: " << rules_of(s.report) << ")";
    EXPECT_TRUE(redacted) << p.rule << " not fully redacted: " << s.out;
    EXPECT_NE(s.out.find("[REDACTED:"), std::string::npos);
    // The preview never carries the secret.
    for (const auto& f : s.report.findings) EXPECT_EQ(f.preview.find(p.secret), std::string::npos);
    found += rule_ok && redacted ? 1 : 0;
  }
  RecordProperty("positives", static_cast<int>(positives.size()));
  RecordProperty("found", static_cast<int>(found));
}

TEST(GateCorpus, HardNegativesProduceNoFinding) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() / "negatives")) {
    const std::string text = read_text(e.path());
    const auto s = scan(gate, text, 4096);
    EXPECT_TRUE(s.report.findings.empty())
        << e.path().filename() << ": " << rules_of(s.report) << "\n"
        << (s.report.findings.empty() ? "" : s.report.findings[0].preview);
    EXPECT_EQ(s.out, text) << "output must be unchanged without findings";
    EXPECT_EQ(s.report.verdict, Verdict::pass);
    ++files;
  }
  EXPECT_GE(files, 8u);
}

}  // namespace
}  // namespace kavach::gate::testing
