#include "gate/secrets.hpp"
#include "core/hex.hpp"

#include <algorithm>

#include "gate/codec.hpp"

namespace kavach::gate::detail {
namespace {

// The characters of base64(k filler bytes + value) that depend on the value alone.
std::string base64_core(std::string_view value, std::size_t k, bool url) {
  std::string padded(k, '\0');
  padded.append(value);
  const std::string enc = base64_encode(padded, url, false);
  const std::size_t first = (8 * k + 5) / 6;             // ceil(8k / 6)
  const std::size_t last = (8 * (k + value.size())) / 6;  // floor
  if (last <= first) return {};
  return enc.substr(first, last - first);
}

}  // namespace

std::string literal_pattern(std::string_view bytes) {
  std::string p;
  p.reserve(bytes.size() * 4);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      p += ch;
    } else {  // every other byte as \xHH: no metacharacter, NUL or newline can change the meaning
      p += "\\x";
      append_hex_byte(p, c);
    }
  }
  return p;
}

std::string utf16_encode(std::string_view value, bool big_endian) {
  std::string out;
  auto unit = [&](std::uint32_t u) {
    const auto hi = static_cast<char>((u >> 8) & 0xffu);
    const auto lo = static_cast<char>(u & 0xffu);
    out += big_endian ? hi : lo;
    out += big_endian ? lo : hi;
  };
  for (std::size_t i = 0; i < value.size();) {
    const auto b = static_cast<unsigned char>(value[i]);
    const std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > value.size()) return {};
    std::uint32_t cp = n == 1 ? b : b & (0xffu >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
      const auto cb = static_cast<unsigned char>(value[i + k]);
      if ((cb >> 6) != 2) return {};
      cp = (cp << 6) | (cb & 0x3fu);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 + (cp >> 10));
      unit(0xdc00 + (cp & 0x3ffu));
    } else {
      unit(cp);
    }
    i += n;
  }
  return out;
}

std::vector<SecretVariant> secret_variants(std::string_view value, std::uint32_t index) {
  std::vector<SecretVariant> v;
  auto add = [&](std::string bytes, std::string enc, bool core) {
    if (bytes.empty()) return;
    if (std::any_of(v.begin(), v.end(), [&](const SecretVariant& x) { return x.bytes == bytes; })) {
      return;
    }
    v.push_back(SecretVariant{std::move(bytes), index, std::move(enc), core});
  };
  add(std::string(value), "", false);
  add(json_escape(value), "json", false);
  add(hex_encode(value, false), "hex", false);
  add(hex_encode(value, true), "hex", false);
  add(url_encode(value, true), "url", false);
  add(url_encode(value, false), "url", false);
  // As the unmasked view shows them (unmask.hpp): without spaces, tabs and colons.
  for (std::size_t i = 0, n = v.size(); i < n; ++i) {
    std::string stripped;
    for (char c : v[i].bytes) {
      if (c != ' ' && c != '\t' && c != ':') stripped += c;
    }
    if (stripped.size() >= kMinSecretLength && stripped.size() != v[i].bytes.size()) {
      add(std::move(stripped), v[i].encoding, false);
    }
  }
  add(utf16_encode(value, false), "utf16le", false);
  add(utf16_encode(value, true), "utf16be", false);
  for (bool url : {false, true}) {
    add(base64_encode(value, url, true), "base64", false);
    if (value.size() >= kMinBase64CoreSecret) {
      for (std::size_t k = 0; k < 3; ++k) add(base64_core(value, k, url), "base64", true);
    }
  }
  return v;
}

Result<void> SecretSet::add(std::string_view name, std::string_view value) {
  if (value.size() < kMinSecretLength) {
    return fail(ErrorCode::secret_error,
                "registered secret is too short to redact reliably (minimum " +
                    std::to_string(kMinSecretLength) + " bytes)",
                {{"secret", std::string(name)}});
  }
  if (db_) {
    return fail(ErrorCode::invalid_argument,
                "secrets must be registered before the first scanner is opened",
                {{"secret", std::string(name)}});
  }
  const auto index = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  for (auto& var : secret_variants(value, index)) variants_.push_back(std::move(var));
  return {};
}

Result<void> SecretSet::compile() {
  if (db_ || variants_.empty()) return {};
  // Compiled as escaped regexes, not with hs_compile_lit_multi: Hyperscan 5.4's literal API
  // fails scans with HS_UNKNOWN_ERROR on long repetitive literals in streaming mode
  // (intel/hyperscan#303, #353), which made the gate withhold every output of such a run.
  std::vector<std::string> patterns;
  std::vector<const char*> exprs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  patterns.reserve(variants_.size());
  for (std::size_t i = 0; i < variants_.size(); ++i) {
    patterns.push_back(literal_pattern(variants_[i].bytes));
    flags.push_back(0);
    ids.push_back(static_cast<unsigned>(i));
  }
  for (const auto& p : patterns) exprs.push_back(p.c_str());
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                       HS_MODE_STREAM, nullptr, &db, &err) != HS_SUCCESS) {
    HsCompileError e(err);
    return fail(ErrorCode::secret_error,
                std::string("cannot build the registered-secret matcher: ") + e->message);
  }
  db_.reset(db);
  return {};
}

}  // namespace kavach::gate::detail
