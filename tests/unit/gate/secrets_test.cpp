// Registered secrets: values the credential layer injected are redacted wherever they appear,
// raw and encoded, whether or not a rule knows their format.
#include "gate/codec.hpp"
#include "gate/secrets.hpp"
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

const std::string kValue = "correct horse/battery+staple \"42\"";  // no rule knows this format

std::vector<std::pair<std::string, std::string>> secret() { return {{"DB_PASSWORD", kValue}}; }

void expect_redacted(const std::string& text, const std::string& hidden, const std::string& what) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const auto s = scan(gate, text, 0, {}, secret());
  EXPECT_TRUE(has_rule(s.report, "registered-secret")) << what << ": " << rules_of(s.report);
  EXPECT_EQ(s.out.find(hidden), std::string::npos) << what << ": " << s.out;
  EXPECT_NE(s.out.find("[REDACTED:registered-secret:DB_PASSWORD]"), std::string::npos) << what;
  EXPECT_EQ(s.report.verdict, Verdict::block) << what;
  // Control: without registration the same output passes unchanged.
  const auto plain = scan(gate, text);
  EXPECT_NE(plain.out.find(hidden), std::string::npos) << what << " (control)";
}

TEST(GateSecrets, Raw) { expect_redacted("password is " + kValue + " ok\n", kValue, "raw"); }

TEST(GateSecrets, JsonEscaped) {
  const std::string esc = detail::json_escape(kValue);
  expect_redacted("{\"password\": \"" + esc + "\"}\n", esc, "json");
}

TEST(GateSecrets, Hex) {
  for (bool upper : {false, true}) {
    const std::string h = detail::hex_encode(kValue, upper);
    expect_redacted("bytes: " + h + "\n", h.substr(4, 20), upper ? "HEX" : "hex");
  }
}

TEST(GateSecrets, UrlEncoded) {
  const std::string u = detail::url_encode(kValue, true);
  expect_redacted("GET /login?pw=" + u + "&next=/\n", u.substr(0, 20), "url");
}

TEST(GateSecrets, Base64AtEveryAlignment) {
  for (const std::string prefix : {"", "u:", "us:", "use:"}) {
    for (bool url : {false, true}) {
      const std::string b = detail::base64_encode(prefix + kValue + "@host", url, true);
      // the characters that carry the value (away from the partial ones at the edges)
      const std::size_t from = (prefix.size() * 8 + 5) / 6 + 2;
      expect_redacted("blob: " + b + "\n", b.substr(from, 20),
                      "base64 prefix=" + std::to_string(prefix.size()) + (url ? " url" : " std"));
    }
  }
}

TEST(GateSecrets, FindingCarriesEncodingAndName) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const auto s = scan(gate, "x " + detail::hex_encode(kValue, false) + "\n", 0, {}, secret());
  ASSERT_EQ(s.report.findings.size(), 1u);
  EXPECT_EQ(s.report.findings[0].encoding, "hex");
  EXPECT_EQ(s.report.findings[0].severity, Severity::critical);
  EXPECT_EQ(s.report.findings[0].preview.find(kValue), std::string::npos);
}

TEST(GateSecrets, Errors) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Session session(gate);
  auto short_value = session.register_secret("PIN", "123");
  ASSERT_FALSE(short_value);
  EXPECT_EQ(short_value.error().code, ErrorCode::secret_error);
  ASSERT_TRUE(session.register_secret("TOKEN", "a-long-enough-value"));
  ASSERT_TRUE(session.open("stdout"));
  auto late = session.register_secret("LATE", "registered-too-late");
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::invalid_argument);
}

TEST(GateSecrets, ApplyToExecResult) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Session session(gate);
  ASSERT_TRUE(session.register_secret("API_TOKEN", "s3cr3t-value-from-the-vault"));
  ExecResult r;
  r.stdout_data = "token: s3cr3t-value-from-the-vault\n";
  r.stderr_data = "debug " + detail::base64_encode("s3cr3t-value-from-the-vault", false, true) + "\n";
  auto report = apply(session, r);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(r.stdout_data, "token: [REDACTED:registered-secret:API_TOKEN]\n");
  EXPECT_EQ(r.stderr_data.find("czNjcjN0"), std::string::npos) << r.stderr_data;
  EXPECT_EQ(report->findings.size(), 2u);
  EXPECT_EQ(report->verdict, Verdict::block);
  const auto j = to_json(*report);
  EXPECT_EQ(j["verdict"], "block");
  EXPECT_EQ(j["findings"].size(), 2u);
  EXPECT_EQ(j.dump().find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace kavach::gate::testing
