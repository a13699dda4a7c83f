// The rule model: what a rule file says, independent of how it is compiled.
// Field names follow gitleaks' TOML (id, regex, secretGroup, entropy, keywords, path, allowlists);
// severity, validators, randomness and placeholderCheck are kavach extensions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kavach/gate.hpp"

namespace kavach::gate::detail {

enum class AllowTarget : std::uint8_t { secret, match, line };

struct Allowlist {
  std::string description;
  bool require_all = false;  // condition = "AND": every listed kind must match
  AllowTarget target = AllowTarget::secret;
  std::vector<std::string> regexes;    // RE2 syntax, matched against `target`
  std::vector<std::string> paths;      // RE2 syntax, matched against the source name
  std::vector<std::string> stopwords;  // lower-case; the secret containing one is allowed
  std::vector<std::string> commits;    // accepted for compatibility; a sandbox has no commits
};

// Checks beyond the regex. The value checked is the secret (the secret group).
enum class Validator : std::uint8_t {
  github_crc32,   // ghp_/gho_/ghu_/ghs_/ghr_: last 6 base62 chars = CRC32 of the 30 random chars
  npm_crc32,      // npm_ tokens, same scheme
  jwt,            // header and payload are base64url JSON objects, header has "alg"
  pem,            // BEGIN/END labels agree, body is base64 of a DER SEQUENCE / openssh-key-v1
  luhn,           // payment card: Luhn checksum, brand length
  iban,           // country length table + ISO 7064 mod 97
  basic_auth,     // base64 of "user:password"
  email,          // not an example / file-name domain
  phone,          // E.164 country code and digit count
  us_ssn,         // area/group/serial ranges
  nl_bsn,         // 11-proof
  es_dni,         // mod-23 letter (DNI and NIE)
  it_fiscal,      // codice fiscale check character
  pl_pesel,       // weighted mod 10
  br_cpf,         // two mod-11 check digits
  in_aadhaar,     // Verhoeff
  cn_resident,    // ISO 7064 MOD 11-2
  se_personnummer,// Luhn over 10 digits
  fi_hetu,        // mod 31 check character
  uk_nhs,         // mod 11
  fr_nir,         // 97 - (number mod 97)
  ca_sin,         // Luhn
  age_bech32,     // AGE-SECRET-KEY-1...: bech32 checksum
  password,       // looks like a chosen password (three character classes, no template syntax)
  literal_secret, // a literal value, not a code identifier, reference, keyword, path or URL
  literal_password,// literal_secret, but a word without digits is kept (people choose words)
  count_,
};

[[nodiscard]] std::string_view to_string(Validator v);
[[nodiscard]] std::optional<Validator> parse_validator(std::string_view name);

struct Rule {
  std::string id;
  std::string description;
  Severity severity = Severity::high;
  std::string regex;        // RE2 (= Go) syntax; empty for path-only rules
  std::string path;         // RE2: the rule applies only to sources whose name matches
  // kavach: a cheaper pattern for the Hyperscan stage. Every real match must end where a
  // prefilter match ends (e.g. the regex without a bounded prefix before a literal); RE2 then
  // runs the real regex on the window before the hit.
  std::string prefilter;
  int secret_group = 0;     // 0: the first non-empty group, else the whole match
  double entropy = 0;       // minimum Shannon entropy of the secret (0 = none)
  std::vector<std::string> keywords;  // lower-case; one must occur near the match
  std::vector<std::string> tags;
  std::vector<Allowlist> allowlists;
  std::vector<Validator> validators;
  bool randomness = false;        // the secret must pass the randomness test
  bool placeholder_check = true;  // "xxxx", "your-key-here", "EXAMPLE" are not findings
  bool report = true;             // gitleaks skipReport inverted
  // kavach: candidates come from runs of digits (single space / dash / dot separators allowed)
  // with digit_min..digit_max digits, found by the SIMD run scanner instead of Hyperscan: a
  // character-class pattern without a literal would slow the whole Hyperscan database down.
  // kavach: matches are at most this long (0 = the regex's own bound): caps how far back RE2
  // looks from a hit. A performance knob for frequent rules; a longer real match would be cut.
  int max_length = 0;
  int digit_min = 0;
  int digit_max = 0;
  bool digit_after_letters = false;  // the run must follow [A-Z]{2}[0-9]{2} (IBAN-like)
  bool digit_exact = false;  // the secret is exactly the run: validators run before RE2
};

struct RuleSet {
  std::string origin;
  std::vector<Rule> rules;
  std::vector<Allowlist> allowlists;  // global
};

}  // namespace kavach::gate::detail
