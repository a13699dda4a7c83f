// Private key armor: any PRIVATE KEY block with a base64 body is at least quarantined, whatever
// its structure check says (a truncated key, Ed25519/X25519 PKCS#8, a type no rule knows); a
// complete RSA/EC/OpenSSH key keeps its structure-checked rule and verdict (block).
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

// Freshly generated for this test (openssl genpkey -algorithm ed25519 / x25519).
const std::string kEd25519 =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDDmi8ZSERd06wOWMXRLr05RdVqdNHjUUBa+pRq9CTfY\n-----END PRIVATE KEY-----\n";

std::string base64_body(std::size_t n) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += kB64[(i * 37 + 11) % 64];
    if (i % 64 == 63) s += '\n';
  }
  return s;
}

TEST(GateKeys, AnyPrivateKeyArmorWithABodyIsAtLeastQuarantined) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ed25519 pkcs8", kEd25519},
      {"truncated rsa (head -c 800)",
       ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + base64_body(900)).substr(0, 800)},
      {"unknown type", "-----BEGIN FOO PRIVATE KEY-----\n" + base64_body(80) + "\n-----END FOO PRIVATE KEY-----\n"},
      {"json-escaped", "{\"key\": \"-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIDDmi8ZSERd06wOWMXRLr05RdVqdNHjU\\n"
                       "-----END PRIVATE KEY-----\\n\"}\n"},
  };
  for (const auto& [what, text] : cases) {
    const auto s = scan(gate, "before\n" + text);
    EXPECT_GE(s.report.verdict, Verdict::quarantine) << what << ": " << rules_of(s.report);
    EXPECT_EQ(s.out.find("MC4CAQAw"), std::string::npos) << what << ": " << s.out;
    EXPECT_EQ(s.out.find("MIIEowIBAAKCAQEA"), std::string::npos) << what << ": " << s.out;
    EXPECT_NE(s.out.find("before\n"), std::string::npos) << what;
  }
}

TEST(GateKeys, ArmorWithoutABodyAndPublicKeysPass) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  for (const std::string& text :
       {std::string("the file starts with -----BEGIN PRIVATE KEY----- and ends with its END line\n"),
        "-----BEGIN PUBLIC KEY-----\n" + base64_body(300) + "\n-----END PUBLIC KEY-----\n"}) {
    const auto s = scan(gate, text);
    EXPECT_EQ(s.report.verdict, Verdict::pass) << text << rules_of(s.report);
    EXPECT_EQ(s.out, text);
  }
}

}  // namespace
}  // namespace kavach::gate::testing
