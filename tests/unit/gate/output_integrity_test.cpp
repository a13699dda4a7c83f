// The gate never corrupts output: personal data is reported, not rewritten (unless the session
// asks), binary output (a NUL byte seen) is masked at the same length, never spliced, and a
// credential in it is at least quarantine; line numbers stay right after multi-line matches.
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

TEST(GateOutput, PersonalDataIsReportedNotRewrittenByDefault) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string log = "commit 1\nAuthor: Jane Doe <jane.doe@corpmail.com>\n\n    fix\n";
  const auto s = scan(gate, log);
  EXPECT_EQ(s.out, log);
  ASSERT_TRUE(has_rule(s.report, "email-address")) << rules_of(s.report);
  EXPECT_FALSE(s.report.findings.front().rewritten);
  EXPECT_EQ(s.report.findings.front().preview.find("jane.doe"), std::string::npos);
  Options redact;
  redact.redact_personal_data = true;
  const auto r = scan(gate, log, 0, redact);
  EXPECT_EQ(r.out.find("jane.doe@corpmail.com"), std::string::npos) << r.out;
  EXPECT_TRUE(r.report.findings.front().rewritten);
  // A secret next to personal data is still redacted.
  const std::string both = "jane.doe@corpmail.com ghp_" + std::string("7xJce0xiAfUH7ClZmLb4MgPE2UFJdX3G6y6A") + "\n";
  const auto b = scan(gate, both);
  EXPECT_EQ(b.out.find("7xJce0xiAfUH7Cl"), std::string::npos) << b.out;
}

TEST(GateOutput, BinaryOutputKeepsItsLength) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::string bin;
  for (int i = 0; i < 4096; ++i) bin += static_cast<char>((i * 131 + 7) % 256);
  const std::string key = std::string("AROAHXRUJ5KRLSIHDV5S");
  const std::string text = bin + " contact jane.doe@corpmail.com aws " + key + " \0 end" + bin;
  const auto s = scan(gate, text, 1000);
  EXPECT_EQ(s.out.size(), text.size()) << "binary output must not grow or shrink";
  EXPECT_NE(s.out.find("jane.doe@corpmail.com"), std::string::npos) << "personal data kept";
  ASSERT_TRUE(has_rule(s.report, "aws-access-key-id")) << rules_of(s.report);
  EXPECT_EQ(s.out.find(key), std::string::npos);
  EXPECT_NE(s.out.find(std::string(key.size(), '*')), std::string::npos);
  EXPECT_GE(s.report.verdict, Verdict::quarantine) << "a credential in binary output is held back";
  // Control: the same credential in text is replaced by a marker (the output changes length).
  const auto t = scan(gate, "aws " + key + "\n");
  EXPECT_NE(t.out.find("[REDACTED:"), std::string::npos) << rules_of(t.report);
}

TEST(GateOutput, LineNumbersCountTheLinesInsideARedactedKey) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::string key = "-----BEGIN PRIVATE KEY-----\n";
  for (int i = 0; i < 5; ++i) key += std::string(64, static_cast<char>('A' + i)) + "\n";
  key += "-----END PRIVATE KEY-----\n";
  const std::string text = "line1\n" + key + "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\n";
  const auto s = scan(gate, text);
  std::uint64_t gh_line = 0;
  for (const auto& f : s.report.findings) {
    if (f.rule_id.starts_with("github")) gh_line = f.line;
  }
  EXPECT_EQ(gh_line, 9u) << rules_of(s.report);
}

}  // namespace
}  // namespace kavach::gate::testing
