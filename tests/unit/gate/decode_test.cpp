// Decode-through: secrets hidden in base64, hex or url-encoded content are found (bounded
// depth) and the encoded bytes carrying them are redacted.
#include "gate/checksums.hpp"
#include "gate/codec.hpp"
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

std::string token() {
  const std::string r = "Zq8Lm2Xv9Tc4Bn7Wd1Kf6Hs3Jp0Ry5";
  return "ghp_" + r + detail::base62(detail::crc32(r), 6);
}

TEST(GateDecode, Base64) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string payload = "GITHUB_TOKEN=" + token() + "\n";
  const std::string text = "config: " + detail::base64_encode(payload, false, true) + "\n";
  const auto s = scan(gate, text);
  ASSERT_TRUE(has_rule(s.report, "github-pat")) << rules_of(s.report);
  EXPECT_EQ(s.report.findings[0].encoding, "base64");
  // What is left of the base64 no longer decodes to the token.
  const auto blob_end = s.out.find('\n');
  std::string rest = s.out.substr(8, blob_end - 8);
  EXPECT_NE(rest.find("[REDACTED:github-pat]"), std::string::npos);
  std::string decoded;
  const auto head = rest.substr(0, rest.find('['));
  (void)detail::base64_decode(head.substr(0, head.size() - head.size() % 4), detail::B64::either, decoded);
  EXPECT_EQ(decoded.find(token().substr(4, 8)), std::string::npos);
}

TEST(GateDecode, ControlDepthZeroMissesBase64) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = "config: " + detail::base64_encode("GITHUB_TOKEN=" + token() + "\n", false, true) + "\n";
  Options opts;
  opts.decode_depth = 0;
  const auto s = scan(gate, text, 0, opts);
  EXPECT_FALSE(has_rule(s.report, "github-pat"));
}

TEST(GateDecode, Hex) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string payload = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8s9vLq2R\n";
  const std::string text = "dump " + detail::hex_encode(payload, false) + " end\n";
  const auto s = scan(gate, text);
  ASSERT_TRUE(has_rule(s.report, "aws-secret-access-key")) << rules_of(s.report);
  EXPECT_EQ(s.report.findings[0].encoding, "hex");
  EXPECT_EQ(s.out.find(detail::hex_encode("wJalrXUtnFEMI", false)), std::string::npos);
}

TEST(GateDecode, UrlEncoded) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text =
      "GET /connect?dsn=postgres%3A%2F%2Fadmin%3AV3ry-S3cr3t-Pw%21%40db.internal%3A5432%2Fapp HTTP/1.1\n";
  const auto s = scan(gate, text);
  ASSERT_TRUE(has_rule(s.report, "postgres-uri-password")) << rules_of(s.report);
  EXPECT_EQ(s.report.findings[0].encoding, "url");
  EXPECT_EQ(s.out.find("V3ry-S3cr3t-Pw"), std::string::npos);
  EXPECT_NE(s.out.find("postgres%3A%2F%2Fadmin%3A"), std::string::npos) << s.out;  // context kept
}

TEST(GateDecode, NestedWithinDepthOnly) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  // base64( url-encoded( token assignment ) )
  const std::string inner = detail::url_encode("token=" + token() + " done", true);
  const std::string text = "blob " + detail::base64_encode(inner, false, true) + "\n";
  const auto deep = scan(gate, text);
  EXPECT_TRUE(has_rule(deep.report, "github-pat")) << rules_of(deep.report);
  Options one;
  one.decode_depth = 1;
  EXPECT_FALSE(has_rule(scan(gate, text, 0, one).report, "github-pat"));
}

TEST(GateDecode, LongBase64BlobIsDecodedInSegments) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::string payload;
  while (payload.size() < 300000) payload += "lorem log line number " + std::to_string(payload.size()) + "\n";
  payload += "GITHUB_TOKEN=" + token() + "\n";
  const std::string text = detail::base64_encode(payload, false, true) + "\n";
  const auto s = scan(gate, text, 65536);
  EXPECT_TRUE(has_rule(s.report, "github-pat")) << rules_of(s.report);
}

TEST(GateDecode, BinaryBase64IsNotAFinding) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  std::string bin;
  for (int i = 0; i < 5000; ++i) bin.push_back(static_cast<char>((i * 7919) % 251));
  const auto s = scan(gate, "img " + detail::base64_encode(bin, false, true) + "\n");
  EXPECT_TRUE(s.report.findings.empty()) << rules_of(s.report);
}

}  // namespace
}  // namespace kavach::gate::testing
