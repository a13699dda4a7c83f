// Checksums and structure checks, the randomness test and the placeholder filter.
#include "gate/checksums.hpp"
#include "gate/codec.hpp"
#include "gate/pattern_translate.hpp"
#include "gate/randomness.hpp"
#include "gate/validators.hpp"
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

using detail::validate;
using detail::Validator;

TEST(GateChecksums, KnownVectors) {
  EXPECT_EQ(detail::crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(detail::base62(0, 6), "000000");
  EXPECT_EQ(detail::base62(61, 1), "z");
  EXPECT_TRUE(detail::luhn_ok("79927398713"));
  EXPECT_FALSE(detail::luhn_ok("79927398710"));
  EXPECT_TRUE(detail::iban_mod97_ok("GB82WEST12345698765432"));
  EXPECT_FALSE(detail::iban_mod97_ok("GB83WEST12345698765432"));
  EXPECT_TRUE(detail::verhoeff_ok("2363"));
  EXPECT_FALSE(detail::verhoeff_ok("2364"));
  EXPECT_TRUE(detail::bech32_ok("A12UEL5L"));  // BIP-173 test vector
  EXPECT_FALSE(detail::bech32_ok("A12UEL5M"));
}

TEST(GateValidators, TokenChecksums) {
  const std::string r = "Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0";
  const std::string good = "ghp_" + r + detail::base62(detail::crc32(r), 6);
  EXPECT_TRUE(validate(Validator::github_crc32, good));
  std::string bad = good;
  bad[10] = bad[10] == 'x' ? 'y' : 'x';
  EXPECT_FALSE(validate(Validator::github_crc32, bad));
  EXPECT_TRUE(validate(Validator::npm_crc32, "npm_" + r + detail::base62(detail::crc32(r), 6)));
  EXPECT_FALSE(validate(Validator::npm_crc32, "npm_" + std::string(36, 'a')));
}

TEST(GateValidators, JwtAndPem) {
  const std::string h = detail::base64_encode(R"({"alg":"RS256","typ":"JWT"})", true, false);
  const std::string p = detail::base64_encode(R"({"sub":"svc","exp":1900000000})", true, false);
  EXPECT_TRUE(validate(Validator::jwt, h + "." + p + ".c2ln"));
  EXPECT_FALSE(validate(Validator::jwt, detail::base64_encode("{\"typ\":\"JWT\"}", true, false) + "." + p + ".x"));
  EXPECT_FALSE(validate(Validator::jwt, h + ".bm90IGpzb24.x"));

  std::string der = "\x30\x81\x80";
  der += std::string(128, '\x42');
  const std::string body = detail::base64_encode(der, false, true);
  const std::string pem = "-----BEGIN EC PRIVATE KEY-----\n" + body.substr(0, 64) + "\n" + body.substr(64) +
                          "\n-----END EC PRIVATE KEY-----";
  EXPECT_TRUE(validate(Validator::pem, pem));
  // JSON-escaped newlines (service account files) are fine too.
  std::string escaped = pem;
  for (std::size_t i; (i = escaped.find('\n')) != std::string::npos;) escaped.replace(i, 1, "\\n");
  EXPECT_TRUE(validate(Validator::pem, escaped));
  // Wrong DER length, mismatched labels, placeholder bodies.
  std::string short_der = der;
  short_der[2] = '\x70';
  EXPECT_FALSE(validate(Validator::pem, "-----BEGIN EC PRIVATE KEY-----\n" +
                                            detail::base64_encode(short_der, false, true) +
                                            "\n-----END EC PRIVATE KEY-----"));
  EXPECT_FALSE(validate(Validator::pem, "-----BEGIN EC PRIVATE KEY-----\n" + body +
                                            "\n-----END RSA PRIVATE KEY-----"));
  EXPECT_FALSE(validate(Validator::pem, "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----"));
}

TEST(GateValidators, PaymentAndBank) {
  EXPECT_TRUE(validate(Validator::luhn, "4539 1488 0343 6467"));
  EXPECT_FALSE(validate(Validator::luhn, "4539 1488 0343 6468"));
  EXPECT_FALSE(validate(Validator::luhn, "4111 1111 1111 1111"));  // the Visa test card
  EXPECT_TRUE(validate(Validator::luhn, "3782 822463 10054"));     // Amex, 15 digits
  EXPECT_FALSE(validate(Validator::luhn, "3714 496353 98431"));    // the Amex test card
  EXPECT_FALSE(validate(Validator::luhn, "9999 9999 9999 9995"));  // no such brand
  EXPECT_TRUE(validate(Validator::iban, "DE44 5001 0517 5407 3249 31"));
  EXPECT_FALSE(validate(Validator::iban, "DE45 5001 0517 5407 3249 31"));
  EXPECT_FALSE(validate(Validator::iban, "DE89 3704 0044 0532 0130 00"));  // the documentation example
  EXPECT_FALSE(validate(Validator::iban, "XX44500105175407324931"));
}

TEST(GateValidators, NationalIds) {
  EXPECT_TRUE(validate(Validator::nl_bsn, "111222333"));
  EXPECT_FALSE(validate(Validator::nl_bsn, "111222334"));
  EXPECT_TRUE(validate(Validator::es_dni, "12345678Z"));
  EXPECT_FALSE(validate(Validator::es_dni, "12345678A"));
  EXPECT_TRUE(validate(Validator::es_dni, "X1234567L"));
  EXPECT_TRUE(validate(Validator::br_cpf, "529.982.247-25"));
  EXPECT_FALSE(validate(Validator::br_cpf, "529.982.247-26"));
  EXPECT_FALSE(validate(Validator::br_cpf, "111.111.111-11"));
  EXPECT_TRUE(validate(Validator::pl_pesel, "44051401359"));
  EXPECT_FALSE(validate(Validator::pl_pesel, "44051401358"));
  EXPECT_TRUE(validate(Validator::cn_resident, "11010519491231002X"));
  EXPECT_FALSE(validate(Validator::cn_resident, "110105194912310021"));
  EXPECT_TRUE(validate(Validator::fi_hetu, "131052-308T"));
  EXPECT_FALSE(validate(Validator::fi_hetu, "131052-308U"));
  EXPECT_TRUE(validate(Validator::uk_nhs, "943 476 5919"));
  EXPECT_FALSE(validate(Validator::uk_nhs, "943 476 5918"));
  EXPECT_TRUE(validate(Validator::ca_sin, "130 692 544"));
  EXPECT_FALSE(validate(Validator::ca_sin, "130 692 545"));
  EXPECT_FALSE(validate(Validator::ca_sin, "046 454 286"));  // 0 is not an issued first digit
  EXPECT_TRUE(validate(Validator::it_fiscal, "RSSMRA85T10A562S"));
  EXPECT_FALSE(validate(Validator::it_fiscal, "RSSMRA85T10A562T"));
  EXPECT_TRUE(validate(Validator::se_personnummer, "811228-9874"));
  EXPECT_FALSE(validate(Validator::se_personnummer, "811228-9875"));
  EXPECT_TRUE(validate(Validator::us_ssn, "536-22-1234"));
  EXPECT_FALSE(validate(Validator::us_ssn, "666-22-1234"));
  EXPECT_FALSE(validate(Validator::us_ssn, "078-05-1120"));
  EXPECT_TRUE(validate(Validator::fr_nir, "2 55 08 14 168 025 38"));
  EXPECT_FALSE(validate(Validator::fr_nir, "2 55 08 14 168 025 39"));
}

TEST(GateValidators, ContactData) {
  EXPECT_TRUE(validate(Validator::email, "maria.lopez@proton.me"));
  EXPECT_FALSE(validate(Validator::email, "jane@example.com"));
  EXPECT_FALSE(validate(Validator::email, "icon@2x.png"));
  EXPECT_FALSE(validate(Validator::email, "git@github.com"));
  EXPECT_TRUE(validate(Validator::phone, "+44 20 7946 1234"));
  EXPECT_TRUE(validate(Validator::phone, "(415) 867-5309"));
  EXPECT_FALSE(validate(Validator::phone, "(415) 555-0134"));  // reserved for fiction
  EXPECT_FALSE(validate(Validator::phone, "+1 234"));
  EXPECT_TRUE(validate(Validator::basic_auth, detail::base64_encode("deploy:Zx9-qL2-8Tw", false, true)));
  EXPECT_FALSE(validate(Validator::basic_auth, detail::base64_encode("username:password", false, true)));
}

// Better than entropy alone: these all have high Shannon entropy per character, yet only
// the random ones pass.
TEST(GateRandomness, StructureBeyondEntropy) {
  for (const char* s : {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8s9vLq2R", "8f4e2a9c1b7d3e6f0a5c9b8d",
                        "AKd8f3Jq0ZpLx7Wm2RtY9vB4", "Zq8Lm2Xv9Tc4Bn7Wd1Kf6Hs3Jp0Ry5",
                        "qTzKw_PmXrVbNcLdHy_JfGs"}) {  // underscore, but chunks mix cases
    EXPECT_TRUE(detail::looks_random(s)) << s;
  }
  for (const char* s : {"getUserAccountSettings", "my_super_secret_password", "ConfigurationManager",
                        "abcdefghijklmnopqrstu", "1234567890123456", "deadbeefdeadbeefdeadbeef",
                        "this-is-not-a-secret", "aaaaaaaaaaaaaaaaaaaa", "HelloWorldFromKavach2",
                        // libstdc++'s regex_scanner.tcc (found by scripts/gate-fp-scan)
                        "_S_token_subexpr_lookahead_begin", "_S_token_collsymbol", "MAX_PATH_LENGTH_VALUE"}) {
    EXPECT_FALSE(detail::looks_random(s)) << s;
  }
  // Entropy alone would accept the identifier: it has more bits per character than the hex key.
  EXPECT_GT(detail::shannon_entropy("getUserAccountSettings"), detail::shannon_entropy("8f4e2a9c1b7d3e6f0a5c9b8d") - 0.5);
}

TEST(GateRandomness, Placeholders) {
  for (const char* s : {"AKIAIOSFODNN7EXAMPLE", "your-api-key-here", "xxxxxxxxxxxxxxxx", "${GITHUB_TOKEN}",
                        "<token>", "changeme", "bar", "sk_live_000000000000000000000000", "password", "postgres"}) {
    EXPECT_TRUE(detail::is_placeholder(s)) << s;
  }
  for (const char* s : {"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8s9vLq2R", "ghp_Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0"}) {
    EXPECT_FALSE(detail::is_placeholder(s)) << s;
  }
}

// Chosen passwords pass; the working directory in a PWD variable does not (scripts/gate-fp-scan
// found `PWD: '/Users/maciej'` in node's documentation).
TEST(GateRandomness, PasswordLike) {
  for (const char* s : {"Tr0ub4dor&3", "s3cr3t-Passw0rd!", "/9xK#mP2qL"}) {
    EXPECT_TRUE(detail::password_like(s)) << s;
  }
  for (const char* s : {"/Users/maciej", "/home/Alice/Work", "config.db.password", "short1A"}) {
    EXPECT_FALSE(detail::password_like(s)) << s;
  }
}

TEST(GateTranslate, GoSyntaxToHyperscan) {
  EXPECT_EQ(detail::translate_go_regex(R"(\bfoo(?i)bar\z)").pattern, R"(\bfoo(?i)bar\z)");
  EXPECT_EQ(detail::translate_go_regex(R"(\Qa.b\E)").pattern, R"(\x61\x2e\x62)");
  EXPECT_EQ(detail::translate_go_regex(R"(x\101y)").pattern, R"(x\x41y)");
  EXPECT_EQ(detail::translate_go_regex(R"((?U)a+)").pattern, R"(a+)");
  const auto u = detail::translate_go_regex(R"(\pL+)");
  EXPECT_TRUE(u.approximate);
  EXPECT_EQ(u.pattern, R"([\x80-\xff\w]+)");
}

}  // namespace
}  // namespace kavach::gate::testing
