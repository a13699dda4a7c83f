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

TEST(GateSecrets, Utf16BothByteOrders) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  for (bool be : {false, true}) {
    const std::string u = detail::utf16_encode(kValue, be);
    ASSERT_EQ(u.size(), kValue.size() * 2);
    const std::string text = detail::utf16_encode("token=", be) + u + detail::utf16_encode("\n", be);
    // UTF-16 holds NUL bytes: the stream is binary, so the value is masked at the same length.
    const auto s = scan(gate, text, 0, {}, secret());
    EXPECT_TRUE(has_rule(s.report, "registered-secret")) << rules_of(s.report);
    EXPECT_EQ(s.report.verdict, Verdict::block);
    EXPECT_EQ(s.out.size(), text.size());
    EXPECT_EQ(s.out.find(u.substr(0, 20)), std::string::npos);
    EXPECT_EQ(scan(gate, text).out, text) << "control: unregistered, unchanged";
  }
  EXPECT_EQ(detail::utf16_encode("\xc3\xa9\xf0\x9f\x94\x91", false), std::string("\xe9\x00\x3d\xd8\x11\xdd", 6));
  EXPECT_EQ(detail::utf16_encode("\xc3", false), "") << "invalid UTF-8 has no UTF-16 form";
}

// What terminals and encoders put between a value's characters: ANSI colour codes, zero-width
// characters, backspace overstrikes (man pages, `ul`), carriage returns, JSON \u00XX escapes.
TEST(GateSecrets, InterleavedWithEscapesAndInvisibleCharacters) {
  auto interleave = [](const std::string& v, const std::string& between) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? between : "") + v.substr(i, 1);
    return out;
  };
  std::string bold;
  std::string underline;
  std::string json_u;
  for (char c : kValue) {
    bold += std::string(1, c) + "\b" + std::string(1, c);
    underline += std::string("_\b") + c;
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(static_cast<unsigned char>(c)));
    json_u += buf;
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ansi colour per character", interleave(kValue, "\x1b[31m")},
      {"ansi reset and colour", interleave(kValue, "\x1b[0m\x1b[1;32m")},
      {"zero-width spaces", interleave(kValue, "\xe2\x80\x8b")},
      {"word joiners and BOMs", interleave(kValue, "\xe2\x81\xa0\xef\xbb\xbf")},
      {"bold overstrike", bold},
      {"underline overstrike", underline},
      {"carriage returns", interleave(kValue, "\r")},
      {"split over lines", kValue.substr(0, 10) + "\r\n" + kValue.substr(10)},
      {"json \\u00XX escapes", json_u},
  };
  for (const auto& [what, text] : cases) {
    auto gate = builtin_gate();
    ASSERT_TRUE(gate);
    const auto s = scan(gate, "before " + text + " after\n", 0, {}, secret());
    EXPECT_TRUE(has_rule(s.report, "registered-secret")) << what << ": " << rules_of(s.report);
    EXPECT_EQ(s.report.verdict, Verdict::block) << what;
    EXPECT_EQ(s.out.find("horse"), std::string::npos) << what << ": " << s.out;
    EXPECT_NE(s.out.find("before "), std::string::npos) << what;
    EXPECT_NE(s.out.find(" after"), std::string::npos) << what;
    // Control: without registration the same output passes unchanged.
    EXPECT_EQ(scan(gate, "before " + text + " after\n").out, "before " + text + " after\n") << what;
    // In small chunks too (held back across chunk boundaries).
    const auto chunked = scan(gate, "before " + text + " after\n", 7, {}, secret());
    EXPECT_TRUE(has_rule(chunked.report, "registered-secret")) << what << " (chunked)";
  }
}

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

// What `base64` (76 columns), `xxd -p` (60) and `od -An -tx1` do to an encoded value.
std::string wrap(const std::string& s, std::size_t width, const std::string& indent = "") {
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += width) out += indent + s.substr(i, width) + "\n";
  return out;
}

std::string od_hex(const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    out += " " + detail::hex_encode(value.substr(i, 1), false);
    if (i % 16 == 15) out += "\n";
  }
  return out + "\n";
}

std::string without_newlines_and_spaces(std::string s) {
  std::erase_if(s, [](char c) { return c == '\n' || c == ' ' || c == '\r'; });
  return s;
}

// A value long enough to wrap, or one pushed across a line break by what precedes it: the
// literal matcher sees neither, the wrapped matcher must (`echo $TOK | base64` leaked this way).
TEST(GateSecrets, WrappedBase64AcrossLineBreaks) {
  const std::string longval(70, 'k');
  const std::string value = "s3cr3t-" + longval;
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  for (const std::string prefix : {"", "x", "a 50-byte prefix that pushes the value across 76 "}) {
    for (bool crlf : {false, true}) {
      const std::string full = detail::base64_encode(prefix + value + "\n", false, true);
      // 40 characters that carry the value's bytes alone (past its first partial character)
      const std::string core = full.substr(((prefix.size() + 7) * 8 + 5) / 6 + 2, 40);
      std::string text = wrap(full, 76);
      if (crlf) {
        std::string t;
        for (char c : text) t += c == '\n' ? std::string("\r\n") : std::string(1, c);
        text = t;
      }
      for (std::size_t chunk : {std::size_t{0}, std::size_t{7}}) {
        const auto s = scan(gate, text, chunk, {}, {{"TOK", value}});
        EXPECT_TRUE(has_rule(s.report, "registered-secret")) << "prefix " << prefix.size() << " chunk " << chunk;
        EXPECT_EQ(without_newlines_and_spaces(s.out).find(core), std::string::npos)
            << "prefix " << prefix.size() << " crlf " << crlf << " chunk " << chunk << ":\n" << s.out;
      }
      // Control: unregistered, the same text passes with the value's encoding intact.
      EXPECT_NE(without_newlines_and_spaces(scan(gate, text).out).find(core), std::string::npos);
    }
  }
}

TEST(GateSecrets, HexGroupedOrWrappedByDumpTools) {
  const std::string value = "s3cr3t-value-1234567890";
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string h = detail::hex_encode(value, false);
  for (const auto& [what, text] : std::vector<std::pair<std::string, std::string>>{
           {"od -An -tx1", od_hex(value)},
           {"xxd -p (60 columns)", wrap(detail::hex_encode("prefix bytes here " + value, false), 60)},
           {"colon separated", [&] {
              std::string t;
              for (std::size_t i = 0; i < h.size(); i += 2) t += (i ? ":" : "") + h.substr(i, 2);
              return t + "\n";
            }()}}) {
    const auto s = scan(gate, text, 0, {}, {{"TOK", value}});
    EXPECT_TRUE(has_rule(s.report, "registered-secret")) << what << ":\n" << text;
    std::string flat = without_newlines_and_spaces(s.out);
    std::erase(flat, ':');
    EXPECT_EQ(flat.find(h.substr(8, 20)), std::string::npos) << what << ":\n" << s.out;
    std::string control = without_newlines_and_spaces(scan(gate, text).out);
    std::erase(control, ':');
    EXPECT_NE(control.find(h.substr(8, 20)), std::string::npos) << what << " (control)";
  }
}

// Hyperscan 5.4's literal API failed such scans with HS_UNKNOWN_ERROR (intel/hyperscan#303):
// the gate then withheld the whole output of any run that printed a long repetitive secret.
TEST(GateSecrets, LongRepetitiveSecretInChunksScansCleanly) {
  const std::string value = "s3cr3t-" + std::string(70, 'k');
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  for (std::size_t chunk : {std::size_t{0}, std::size_t{13}, std::size_t{57}}) {
    const auto s = scan(gate, "token: " + value + "\n" + std::string(57, 'k') + "\n", chunk, {},
                        {{"TOK", value}});
    EXPECT_TRUE(has_rule(s.report, "registered-secret")) << "chunk " << chunk;
    EXPECT_EQ(s.out.find(value), std::string::npos) << s.out;
  }
}

TEST(GateSecrets, LiteralPatternShape) {
  EXPECT_EQ(detail::literal_pattern(std::string("a.\0\n", 4)), "a\\x2e\\x00\\x0a");
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
