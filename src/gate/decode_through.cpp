// Decode-through: base64, hex and url-encoded content is decoded (bounded depth and size) and
// scanned with the same rules; findings map back to the encoded bytes, which get redacted.
#include <algorithm>

#include "gate/session_impl.hpp"

namespace kavach::gate {
namespace {

using detail::Span;

// Decoded data is scanned only when it is text: secrets are text, and images or compressed
// blobs (most long base64 in real output) then cost one look at their first bytes.
bool mostly_text(std::string_view d) {
  auto printable = [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return (b >= 0x20 && b < 0x7f) || c == '\n' || c == '\r' || c == '\t';
  };
  const std::size_t head = std::min<std::size_t>(d.size(), 256);
  const auto head_ok = static_cast<std::size_t>(std::count_if(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(head), printable));
  if (head_ok * 10 < head * 9) return false;
  const auto ok = static_cast<std::size_t>(std::count_if(d.begin(), d.end(), printable));
  return ok * 10 >= d.size() * 9;
}

// Base64 of ASCII text: every 4th character carries the top six bits of a text byte, i.e. 2..3
// (tab, newline, CR) or 8..31 (printable). Checking those characters rejects identifiers and
// binary blobs without decoding them.
bool plausible_base64_text(std::string_view enc) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return 62;
  };
  std::size_t checked = 0;
  std::size_t good = 0;
  for (std::size_t i = 0; i < enc.size() && checked < 16; i += 4, ++checked) {
    const int v = value(enc[i]);
    good += ((v >= 8 && v <= 31) || v == 2 || v == 3) ? 1 : 0;
  }
  return good * 10 >= checked * 9;
}

// Hex of ASCII text: the high nibble of each byte is 2..7 (or 0 for tab/newline/CR).
bool plausible_hex_text(std::string_view enc) {
  std::size_t checked = 0;
  std::size_t good = 0;
  for (std::size_t i = 0; i + 1 < enc.size() && checked < 16; i += 2, ++checked) {
    good += ((enc[i] >= '2' && enc[i] <= '7') || enc[i] == '0') ? 1 : 0;
  }
  return good * 10 >= checked * 9;
}

struct SecretCtx {
  const detail::SecretSet* set;
  std::vector<Span>* spans;
  const std::string* encoding;
};

int on_secret_block(unsigned id, unsigned long long /*from*/, unsigned long long to,
                    unsigned /*flags*/, void* ctx) {
  auto* c = static_cast<SecretCtx*>(ctx);
  const auto& v = c->set->variants()[id];
  // Inside decoded bytes a match is exact: no partial base64 characters to extend into.
  c->spans->push_back(detail::registered_secret_span(to, v.bytes.size(), v.secret, *c->encoding, v.encoding,
                                                     /*extend=*/false));
  return 0;
}

}  // namespace

bool Scanner::Impl::decode_run(const detail::EncodedRun& run, std::string_view text,
                               std::uint64_t tbase, unsigned depth, const std::string& path,
                               std::vector<Span>& out) {
  if (depth > session->options.decode_depth) return true;
  std::string_view enc = text.substr(static_cast<std::size_t>(run.begin - tbase),
                                     static_cast<std::size_t>(run.end - run.begin));
  std::string decoded;
  std::vector<std::uint32_t> map;
  bool ok = false;
  switch (run.encoding) {
    case detail::Encoding::base64:
      if (enc.size() % 4 == 1) enc.remove_suffix(1);
      // Most long runs are identifiers or binary blobs: rejected before decoding.
      if (!plausible_base64_text(enc)) return true;
      ok = detail::base64_decode(enc, run.alphabet, decoded);
      break;
    case detail::Encoding::hex:
      if (!plausible_hex_text(enc)) return true;
      ok = detail::hex_decode(enc, decoded);
      break;
    case detail::Encoding::url: ok = detail::url_decode(enc, decoded, map); break;
  }
  if (!ok || decoded.size() < 8 || !mostly_text(decoded)) return true;
  const std::string sub =
      (path.empty() ? "" : path + "/") + std::string(detail::to_string(run.encoding));
  std::vector<Span> inner;
  if (!scan_block(decoded, depth, sub, inner)) return false;
  const detail::DecodedSpanMap m{run.encoding, &map};
  for (auto& s : inner) {
    auto [a, z] = m.source_span(static_cast<std::size_t>(s.begin), static_cast<std::size_t>(s.end));
    s.begin = run.begin + a;
    s.end = std::min<std::uint64_t>(run.end, run.begin + z);
    s.extend = false;
    out.push_back(std::move(s));
  }
  return true;
}

bool Scanner::Impl::scan_block(std::string_view data, unsigned depth, const std::string& path,
                               std::vector<Span>& out) {
  detail::HitCollector hc(gate.patterns);
  const auto n = static_cast<unsigned>(std::min<std::size_t>(data.size(), UINT32_MAX));
  if (hs_scan_stream(rules_spare, data.data(), n, 0, scratch.get(), detail::HitCollector::on_match,
                     &hc) != HS_SUCCESS ||
      hs_reset_stream(rules_spare, 0, scratch.get(), detail::HitCollector::on_match, &hc) !=
          HS_SUCCESS) {
    error = "hyperscan scan error (decoded data)";
    return false;
  }
  if (secret_spare != nullptr) {
    SecretCtx ctx{&session->secrets, &out, &path};
    hs_error_t rc = hs_scan_stream(secret_spare, data.data(), n, 0, scratch.get(), on_secret_block, &ctx);
    if (rc == HS_SUCCESS) rc = hs_reset_stream(secret_spare, 0, scratch.get(), on_secret_block, &ctx);
    if (rc != HS_SUCCESS) {
      error = "hyperscan scan error (decoded data, secrets): hs error " + std::to_string(rc);
      return false;
    }
  }
  detail::RunFinder rf;
  std::vector<detail::EncodedRun> runs_found;
  std::vector<detail::DigitRun> block_digit_runs;
  (void)rf.feed(data.data(), data.size(), 0, true, runs_found, block_digit_runs, 0);
  if (!block_digit_runs.empty()) dispatch_digit_runs(block_digit_runs, data, 0, hc);
  if (!hc.hits().empty() && !confirm_hits(hc.hits(), data, 0, true, path, out)) return false;
  if (depth < session->options.decode_depth) {
    for (const auto& r : runs_found) {
      if (!decode_run(r, data, 0, depth + 1, path, out)) return false;
    }
  }
  return true;
}

}  // namespace kavach::gate
