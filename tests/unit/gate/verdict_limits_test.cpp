// Verdict policy (severity -> verdict, per-rule overrides, worst wins) and size limits.
#include "exit_codes.hpp"
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

const std::string kMixed =
    "mail maria.lopez@proton.me\n"                                           // low
    "stripe sk_test_51Hx7gQ2eZvKYlo2C9r8WbNm\n"                              // low
    "aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8s9vLq2R\"\n";  // critical

TEST(GateVerdict, DefaultMappingAndWorstWins) {
  VerdictPolicy p;
  EXPECT_EQ(p.verdict_for("x", Severity::info), Verdict::pass);
  EXPECT_EQ(p.verdict_for("x", Severity::low), Verdict::warn);
  EXPECT_EQ(p.verdict_for("x", Severity::medium), Verdict::warn);
  EXPECT_EQ(p.verdict_for("x", Severity::high), Verdict::quarantine);
  EXPECT_EQ(p.verdict_for("x", Severity::critical), Verdict::block);
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const auto s = scan(gate, kMixed);
  ASSERT_EQ(s.report.findings.size(), 3u) << rules_of(s.report);
  EXPECT_EQ(s.report.verdict, Verdict::block);
  const auto first_two = scan(gate, kMixed.substr(0, kMixed.find("aws")));
  EXPECT_EQ(first_two.report.verdict, Verdict::warn);
  EXPECT_EQ(scan(gate, "nothing here\n").report.verdict, Verdict::pass);
}

TEST(GateVerdict, PerRuleOverrideAndDisabledTags) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Options o;
  o.policy.by_rule["aws-secret-access-key"] = Verdict::warn;
  const auto s = scan(gate, kMixed, 0, o);
  EXPECT_EQ(s.report.verdict, Verdict::warn);
  // Overridden to warn, still redacted.
  EXPECT_EQ(s.out.find("wJalrXUtnFEMI"), std::string::npos);

  Options no_pii;
  no_pii.disabled_tags = {"pii"};
  const auto n = scan(gate, kMixed, 0, no_pii);
  EXPECT_FALSE(has_rule(n.report, "email-address"));
  EXPECT_NE(n.out.find("maria.lopez@proton.me"), std::string::npos);
  Options no_rule;
  no_rule.disabled_rules = {"stripe-test-secret-key"};
  EXPECT_FALSE(has_rule(scan(gate, kMixed, 0, no_rule).report, "stripe-test-secret-key"));
}

TEST(GateVerdict, NamesExitCodesJson) {
  EXPECT_EQ(scan_exit_code(Verdict::pass), 0);
  EXPECT_EQ(scan_exit_code(Verdict::warn), 1);
  EXPECT_EQ(scan_exit_code(Verdict::quarantine), 2);
  EXPECT_EQ(scan_exit_code(Verdict::block), 3);
  EXPECT_EQ(*parse_verdict("quarantine"), Verdict::quarantine);
  EXPECT_EQ(*parse_severity("critical"), Severity::critical);
  EXPECT_EQ(parse_verdict("deny").error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parse_severity("urgent").error().code, ErrorCode::invalid_argument);
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const auto j = to_json(scan(gate, kMixed).report);
  EXPECT_EQ(j["verdict"], "block");
  ASSERT_EQ(j["findings"].size(), 3u);
  const auto& f = j["findings"][2];
  for (const char* k : {"rule", "severity", "verdict", "source", "begin", "end", "line", "preview"}) {
    EXPECT_TRUE(f.contains(k)) << k;
  }
  EXPECT_EQ(j.dump().find("wJalrXUtnFEMI"), std::string::npos);
}

TEST(GateLimits, StreamLimitCutsAndBlocks) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Options o;
  o.limits.max_stream_bytes = 200000;
  const std::string text(500000, 'q');
  const auto s = scan(gate, text, 65536, o);
  EXPECT_TRUE(s.report.limit_exceeded);
  EXPECT_EQ(s.report.verdict, Verdict::block);
  ASSERT_TRUE(has_rule(s.report, "size-limit"));
  const auto& f = s.report.findings.back();
  EXPECT_EQ(f.end, 500000u);
  EXPECT_EQ(f.begin, s.out.size());  // released up to here
  EXPECT_LE(s.out.size(), 200000u);
  EXPECT_GT(s.out.size(), 100000u);
  EXPECT_EQ(s.report.bytes_scanned, 200000u);
}

TEST(GateLimits, SecretCutByTheLimitIsNotReleased) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Options o;
  o.limits.max_stream_bytes = 100000;
  o.policy.size_limit = Verdict::warn;  // even when the cut is tolerated...
  std::string text(100000 - 20, '.');
  text += "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n";
  const auto s = scan(gate, text, 4096, o);
  EXPECT_EQ(s.report.verdict, Verdict::warn);
  EXPECT_EQ(s.out.find("ghp_"), std::string::npos);  // ...the partial token stays withheld
}

TEST(GateLimits, SessionTotalAcrossStreams) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Options o;
  o.limits.max_total_bytes = 300000;
  Session session(gate, o);
  const std::string text(200000, 'w');
  auto a = session.scan("stdout", text);
  auto b = session.scan("stderr", text);
  ASSERT_TRUE(a && b);
  const auto r = session.report();
  EXPECT_TRUE(r.limit_exceeded);
  EXPECT_EQ(r.verdict, Verdict::block);
  EXPECT_EQ(r.bytes_scanned, 300000u);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].source, "stderr");
}

}  // namespace
}  // namespace kavach::gate::testing
