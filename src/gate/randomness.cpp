#include "gate/randomness.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace kavach::gate::detail {
namespace {

bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alpha(char c) { return lower(c) || upper(c); }
char to_lower(char c) { return upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// The most frequent English letter pairs (about 60% of all bigrams in running text). Random
// letters hit this set about 9% of the time; words and identifiers hit it most of the time.
constexpr std::array<std::string_view, 64> kCommonBigrams{
    "th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed",
    "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co",
    "me", "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si",
    "om", "ur", "ca", "el", "ta", "la", "ns", "di", "fo", "ho", "pe", "ec", "pr", "no", "ct", "us"};

bool common_bigram(char a, char b) {
  const char pair[2] = {to_lower(a), to_lower(b)};
  const std::string_view p(pair, 2);
  return std::find(kCommonBigrams.begin(), kCommonBigrams.end(), p) != kCommonBigrams.end();
}

bool vowel(char c) {
  c = to_lower(c);
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// Letters covered by word-like segments. Segments split at non-letters and at lower->Upper
// (camelCase), so "getUserName" is three words and "xK9qTz" no word at all.
std::size_t wordlike_letters(std::string_view s) {
  std::size_t covered = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!alpha(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < s.size() && alpha(s[j]) && !(lower(s[j - 1]) && upper(s[j]))) ++j;
    const std::string_view seg = s.substr(i, j - i);
    if (seg.size() >= 3) {
      std::size_t common = 0;
      std::size_t vowels = 0;
      for (std::size_t k = 0; k < seg.size(); ++k) {
        if (vowel(seg[k])) ++vowels;
        if (k + 1 < seg.size() && common_bigram(seg[k], seg[k + 1])) ++common;
      }
      const double ratio = static_cast<double>(common) / static_cast<double>(seg.size() - 1);
      const bool has_vowels = vowels * 5 >= seg.size();  // >= 20% vowels
      if (has_vowels && (ratio >= 0.5 || (seg.size() <= 4 && ratio >= 0.3))) covered += seg.size();
    }
    i = j;
  }
  return covered;
}

// C/C++ style identifiers: no digits, '_'-separated chunks each in one case
// ("_S_token_collsymbol", "MAX_PATH_LENGTH_VALUE"). A random base62/64 value with an underscore
// almost always has a chunk that mixes cases or holds a digit.
bool snake_identifier(std::string_view s) {
  if (s.find('_') == std::string_view::npos) return false;
  bool chunk_lower = false;
  bool chunk_upper = false;
  for (char c : s) {
    if (c == '_') {
      chunk_lower = chunk_upper = false;
      continue;
    }
    if (!alpha(c)) return false;
    chunk_lower |= lower(c);
    chunk_upper |= upper(c);
    // "_S_token": a single capital before '_' is one case; mixed case inside a chunk is not.
    if (chunk_lower && chunk_upper) return false;
  }
  return true;
}

bool has_sequence(std::string_view s, std::size_t len) {
  std::size_t up = 1;
  std::size_t down = 1;
  std::size_t same = 1;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const int d = static_cast<unsigned char>(to_lower(s[i])) -
                  static_cast<unsigned char>(to_lower(s[i - 1]));
    up = d == 1 ? up + 1 : 1;
    down = d == -1 ? down + 1 : 1;
    same = d == 0 ? same + 1 : 1;
    if (up >= len || down >= len || same >= len - 1) return true;
  }
  return false;
}

// Short values typed by counting: every run of letters or digits is itself an ascending or
// descending sequence of three or more ("abcde", "def456", "cba321", "xyz789").
bool counted_runs(std::string_view s) {
  if (s.size() > 10) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i + 1;
    const int d = j < s.size() ? to_lower(s[j]) - to_lower(s[i]) : 0;
    if (d != 1 && d != -1) return false;
    while (j < s.size() && to_lower(s[j]) - to_lower(s[j - 1]) == d && digit(s[j]) == digit(s[i])) ++j;
    if (j - i < 3) return false;
    i = j;
  }
  return true;
}

// "abcabcabc", "deadbeefdeadbeef": the string is a short period repeated.
bool periodic(std::string_view s) {
  for (std::size_t p = 1; p <= s.size() / 2 && p <= 16; ++p) {
    bool all = true;
    for (std::size_t i = p; i < s.size() && all; ++i) all = s[i] == s[i - p];
    if (all) return true;
  }
  return false;
}

}  // namespace

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<std::size_t, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  double h = 0;
  const auto n = static_cast<double>(s.size());
  for (auto c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool looks_random(std::string_view s) {
  if (s.size() < 12) return false;
  bool has_lower = false;
  bool has_upper = false;
  bool has_digit = false;
  bool has_other = false;
  bool hex_only = true;
  for (char c : s) {
    has_lower |= lower(c);
    has_upper |= upper(c);
    has_digit |= digit(c);
    has_other |= !alpha(c) && !digit(c);
    hex_only &= digit(c) || (to_lower(c) >= 'a' && to_lower(c) <= 'f');
  }
  const int classes = int(has_lower) + int(has_upper) + int(has_digit) + int(has_other);
  // A single class (all lower-case letters, all digits) is how words and numbers look.
  if (classes < 2) return false;

  // Entropy against the best a random string of this length and alphabet would reach.
  const double alphabet = hex_only ? 16.0 : (has_other ? 70.0 : (has_upper && has_lower ? 62.0 : 36.0));
  // A random string of n symbols from k reaches about log2(min(n, k)) minus a small collision
  // term; 1.2 bits below that is ~3 standard deviations for the lengths secrets have.
  const double ceiling = std::log2(std::min(alphabet, static_cast<double>(s.size())));
  if (shannon_entropy(s) < ceiling - 1.2) return false;

  if (has_sequence(s, 5) || periodic(s) || snake_identifier(s)) return false;

  // Identifier / phrase: most letters sit in word-like segments.
  std::size_t letters = 0;
  for (char c : s) letters += alpha(c) ? 1 : 0;
  if (letters > 0 && wordlike_letters(s) * 10 >= s.size() * 4) return false;
  // Mostly letters yet no digits and only one case: words joined by separators.
  return !(!has_digit && !(has_lower && has_upper));
}

bool is_placeholder(std::string_view s) {
  if (s.empty()) return true;
  // Lower-cased copy, on the stack for ordinary lengths.
  char stack[256];
  std::string heap;
  char* buf = stack;
  if (s.size() > sizeof stack) {
    heap.resize(s.size());
    buf = heap.data();
  }
  for (std::size_t i = 0; i < s.size(); ++i) buf[i] = to_lower(s[i]);
  const std::string_view l(buf, s.size());
  // Markers are at least five characters (or contain a byte no token alphabet has), so a random
  // 100-character token contains one by chance with probability ~1e-5.
  static constexpr std::array<std::string_view, 42> kMarkers{
      "example",  "sample",   "placeholder", "dummy",      "changeme",  "change_me", "change-me",
      "changeit", "your_",    "your-",       "yourkey",    "yourtoken", "yoursecret", "yourpass",
      "xxxxx",    "****",     "....",        "<",          ">",         "${",        "{{",
      "$(",       "%(",       "redacted",    "insert_",    "insert-",   "replace_me", "replaceme",
      "notreal",  "not_real", "not-a-real",  "foobar",     "lorem",     "ipsum",     "_here",
      "-here",    "1234567890", "abcdefghij", "0000000000", "qwerty",   "asdfgh",    "password"};
  // One pass over the value; at each byte only the markers starting with it are compared.
  static const auto kByFirst = [] {
    std::array<std::vector<std::string_view>, 256> t;
    for (auto m : kMarkers) t[static_cast<unsigned char>(m[0])].push_back(m);
    return t;
  }();
  for (std::size_t i = 0; i < l.size(); ++i) {
    for (auto m : kByFirst[static_cast<unsigned char>(l[i])]) {
      if (l.compare(i, m.size(), m) == 0) return true;
    }
  }
  // Values people type in examples and tests.
  static constexpr std::array<std::string_view, 29> kExact{
      "secret", "passwd",   "pass",   "pwd",     "admin",    "root",     "test",    "guest",
      "user",   "username", "token",  "apikey",  "api_key",  "changeit", "letmein", "hunter2",
      // metasyntactic variables of examples ("http://foo:bar@host")
      "foo",    "bar",      "baz",    "qux",     "xyz",      "abc",
      // service defaults of development containers
      "postgres", "mysql",  "mariadb", "redis",  "rabbitmq", "mongo",    "toor"};
  for (auto e : kExact) {
    if (l == e) return true;
  }
  // One byte making up half the value ("aaaaaaaa", "sk_live_000000000000000000").
  std::array<std::size_t, 256> counts{};
  for (char c : l) ++counts[static_cast<unsigned char>(c)];
  const auto most = *std::max_element(counts.begin(), counts.end());
  return most * 2 >= l.size() && l.size() >= 8;
}

bool password_like(std::string_view s) {
  if (s.size() < 8 || s.size() > 64) return false;
  int lowers = 0;
  int uppers = 0;
  int digits = 0;
  int others = 0;
  for (char c : s) {
    if (lower(c)) {
      ++lowers;
    } else if (upper(c)) {
      ++uppers;
    } else if (digit(c)) {
      ++digits;
    } else if (c == ' ' || c == '$' || c == '%' || c == '{' || c == '(') {
      return false;  // spaces and interpolation: prose or a template, not a literal password
    } else {
      ++others;
    }
  }
  const int classes = int(lowers > 0) + int(uppers > 0) + int(digits > 0) + int(others > 0);
  if (classes < 3) return false;
  // "config.db.password", "os.environ.get": dotted identifiers.
  std::size_t dots = 0;
  for (char c : s) dots += c == '.' ? 1 : 0;
  if (dots >= 1 && others == static_cast<int>(dots) && digits == 0) return false;
  // "/Users/maciej" (a PWD variable is the working directory): absolute paths.
  std::size_t slashes = 0;
  for (char c : s) slashes += c == '/' ? 1 : 0;
  if (s.front() == '/' && slashes >= 2 && others == static_cast<int>(slashes) && digits == 0) return false;
  return !has_sequence(s, 6);
}

bool literal_secret_like(std::string_view s, LiteralKind kind) {
  if (s.size() < 4 || s.size() > 128) return false;
  // Formats with a checksum are judged by their own rule (a failed checksum is not a secret).
  if (s.size() == 40 && (s.starts_with("ghp_") || s.starts_with("gho_") || s.starts_with("ghu_") ||
                         s.starts_with("ghs_") || s.starts_with("ghr_") || s.starts_with("npm_"))) {
    return false;
  }
  std::string l(s);
  for (char& c : l) c = to_lower(c);
  // Keywords, type names, and the words tests use to describe a value rather than be one.
  static constexpr std::array<std::string_view, 60> kKeywords{
      "null", "none", "nil", "true", "false", "yes", "no", "on", "off", "undefined", "required",
      "optional", "string", "str", "int", "bool", "boolean", "bytes", "empty", "default", "env",
      "secret", "secrets", "password", "passwords", "token", "tokens", "value", "string?", "text",
      "hidden", "masked", "unset", "blank", "random", "generated", "auto", "disabled", "enabled", "your",
      "function", "object", "number", "symbol", "bigint", "hash", "hashed", "nope", "valid", "short",
      "long", "another", "other", "wrong", "correct", "secure", "strong", "weak", "new", "old"};
  for (auto k : kKeywords) {
    if (l == k) return false;
  }
  bool has_digit = false;
  bool has_upper = false;
  bool has_lower = false;
  bool has_other = false;
  for (char c : s) {
    if (digit(c)) {
      has_digit = true;
    } else if (upper(c)) {
      has_upper = true;
    } else if (lower(c)) {
      has_lower = true;
    } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>' ||
               c == '|' || c == ' ') {
      return false;  // calls, indexing, templates, shell syntax, prose
    } else {
      has_other = true;
    }
  }
  if (!has_upper && !has_lower && !has_other) return false;  // numbers: ports, ids, counters
  // Numbers with separators (0.0479, 2.5.29.16, 2021-01-02, 12:30), hex constants, and text in
  // other scripts (localisation strings under a PASSWORD key).
  bool numeric = true;
  for (char c : s) {
    numeric = numeric && (digit(c) || c == '.' || c == '-' || c == '+' || c == '_' || c == ':' || c == ',');
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  if (numeric || l.starts_with("0x")) return false;
  // The key's own words in the value: "client_secret", "TESTSECRET", "secret-access-token".
  for (std::string_view w : {"secret", "token", "pass", "apikey", "api_key", "credential", "private", "public"}) {
    if (l.find(w) != std::string::npos) return false;
  }
  // Typed by hand in tests: keyboard runs and metasyntactic words ("asdf", "qwer", "foo:bar").
  for (std::string_view w : {"asdf", "qwer", "zxcv", "hjkl", "vbnm", "uiop", "1qaz", "foo", "baz", "blah", "qux",
                             "spam", "eggs", "letmein", "let_me_in", "deadbeef", "cafebabe", "feedface"}) {
    if (l.find(w) != std::string::npos) return false;
  }
  if (counted_runs(s)) return false;
  // A key's own word as its value ("access_token": "access", "refresh", "key-material").
  for (std::string_view w : {"access", "refresh", "bearer", "session", "private", "public"}) {
    if (l == w) return false;
  }
  for (std::string_view w : {"key-", "-key", "key_", "_key", "_env", "env_"}) {
    if (l.find(w) != std::string::npos) return false;
  }
  // A public key is published by design ("ssh-rsa AAAA...", "ecdsa-sha2-nistp256 ...").
  if (l.starts_with("ssh-") || l.starts_with("ecdsa-sha2-")) return false;
  // "eyJ" without the dots of a JWT: a stand-in written to look like one ("eyJaccess").
  if (s.starts_with("eyJ") && s.find('.') == std::string_view::npos && s.size() < 24) return false;
  // A file holding the key, not the key: "certs/client.key", "id_rsa.pem".
  for (std::string_view ext : {".key", ".pem", ".crt", ".cer", ".p12", ".pfx", ".jks", ".json", ".txt", ".env"}) {
    if (l.ends_with(ext)) return false;
  }
  // Typed test values: a word and a count ("abc123", "pass1234", "root123").
  if (s.size() <= 12 && (l.ends_with("123") || l.ends_with("1234"))) return false;
  if (periodic(s)) return false;
  // snake_case names ("db_password") — but not random chunks joined by '_' ("aktfx_lzepzdhz").
  if (snake_identifier(s)) {
    std::size_t alpha_count = 0;
    for (char c : s) alpha_count += alpha(c) ? 1 : 0;
    if (wordlike_letters(s) * 10 >= alpha_count * 6) return false;
  }
  // Words without digits ("weibo", "key-material", "same-origin"): names and phrases, or
  // dictionary passwords weak enough that reporting them would mostly be noise.
  std::size_t letters = 0;
  for (char c : s) letters += alpha(c) ? 1 : 0;
  if (!has_digit && letters > 0 && wordlike_letters(s) * 10 >= letters * 8) {
    // Under a password key a lower-case word may be the password; a capitalised word is prose
    // ("GNUTLS_PKCS_NULL_PASSWORD: Added").
    const bool capitalised = upper(s.front()) && !has_other &&
                             std::all_of(s.begin() + 1, s.end(), [](char c) { return lower(c); });
    if (kind == LiteralKind::secret || capitalised) return false;
  }
  if (l.find("://") != std::string::npos) return false;         // a URL names where, not what
  // Interpolation ("$HOME", "%s", "%(name)s"); a '$' or '%' inside a password stays.
  if (s.front() == '$' || l.find("%s") != std::string::npos || l.find("%d") != std::string::npos) return false;
  if (s.front() == '/' || s.starts_with("./") || s.front() == '~' || s.front() == '!' || s.front() == '&' ||
      s.front() == '*' || s.front() == '@' || s.front() == ':') {
    return false;  // paths, YAML tags/anchors/aliases, decorators, symbols
  }
  // ALL_CAPS_NAME (V1001_TODAY_MUSIC too): a reference to a variable, constant or enum value.
  if (has_upper && !has_lower && s.find('_') != std::string_view::npos) {
    std::size_t caps = 0;
    for (char c : s) caps += upper(c) ? 1 : 0;
    if (!has_digit || wordlike_letters(l) * 2 >= caps) return false;
    // Two or more all-letter chunks of three or more ("V1001_TODAY_MUSIC", "HTTP_2_SETTINGS"):
    // a name; random upper-case tokens do not come in '_'-separated words.
    std::size_t word_chunks = 0;
    std::size_t run = 0;
    bool letters_only = true;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '_') {
        word_chunks += (letters_only && run >= 3) ? 1 : 0;
        run = 0;
        letters_only = true;
      } else {
        ++run;
        letters_only = letters_only && upper(s[i]);
      }
    }
    if (word_chunks >= 2) return false;
  }
  // Type names in protocol specs and headers: CARD32, INT64, UINT8.
  if (!has_lower && has_upper && has_digit && s.size() <= 8) {
    std::size_t i = 0;
    while (i < s.size() && upper(s[i])) ++i;
    while (i < s.size() && digit(s[i])) ++i;
    if (i == s.size()) return false;
  }
  // Dotted identifiers (config.db.password, os.environ) and file names (secret.txt).
  if (!has_digit && s.find('.') != std::string_view::npos) {
    bool ident = true;
    for (char c : s) ident = ident && (alpha(c) || c == '.' || c == '_');
    if (ident) return false;
  }
  // camelCase / PascalCase identifiers without digits: userPassword, SecretKey, getToken.
  if (!has_digit && !has_other && has_upper && has_lower) {
    std::size_t humps = 0;
    for (std::size_t i = 1; i < s.size(); ++i) humps += (upper(s[i]) && lower(s[i - 1])) ? 1 : 0;
    if (humps >= 1 && wordlike_letters(s) * 10 >= s.size() * 6) return false;
  }
  return !has_sequence(s, 6);
}

bool weak_or_test_value(std::string_view s) {
  if (s.size() < 8) return true;
  int classes[4] = {0, 0, 0, 0};
  for (char c : s) {
    if (lower(c)) {
      classes[0] = 1;
    } else if (upper(c)) {
      classes[1] = 1;
    } else if (digit(c)) {
      classes[2] = 1;
    } else {
      classes[3] = 1;
    }
  }
  if (classes[0] + classes[1] + classes[2] + classes[3] == 1 && s.size() < 12) return true;
  std::string l(s);
  for (char& c : l) c = to_lower(c);
  for (std::string_view w : {"test", "example", "sample", "dummy", "fake", "demo", "mock", "changeme"}) {
    if (l.find(w) != std::string::npos) return true;
  }
  return is_placeholder(s);
}

}  // namespace kavach::gate::detail
