// Registered secrets: values the credential layer injected into the sandbox. Each is searched
// for literally, in every encoding it is likely to leave in (raw, JSON-escaped, hex, url-encoded,
// UTF-16LE/BE, base64 standard/url at any of the three byte alignments inside a longer blob),
// with one Hyperscan literal database per session, over the output and over its unmasked view
// (unmask.hpp: as terminals disguise them and tools wrap base64 or group hex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gate/hs_handles.hpp"
#include "kavach/error.hpp"

namespace kavach::gate::detail {

// Shorter values would redact unrelated output everywhere.
inline constexpr std::size_t kMinSecretLength = 4;
// Base64 of a value inside a longer blob is only searched for from this length on: shorter cores
// (under ~10 characters) occur by chance in large base64 data.
inline constexpr std::size_t kMinBase64CoreSecret = 8;
// An unmasked match (unmask.hpp) spans at most this many original bytes per matched byte, as
// far as the scanner holds output back for it: a character, an overstruck one and its
// backspace, or a JSON escape, plus a colour escape or two between characters.
inline constexpr std::size_t kUnmaskSpanFactor = 24;

struct SecretVariant {
  std::string bytes;
  std::uint32_t secret = 0;       // index of the registered value
  std::string encoding;           // "" raw, "json", "hex", "url", "base64"
  bool base64_core = false;       // partial characters next to it carry secret bits too
};

class SecretSet {
 public:
  [[nodiscard]] Result<void> add(std::string_view name, std::string_view value);
  // Builds the literal database (no-op without secrets).
  [[nodiscard]] Result<void> compile();

  [[nodiscard]] bool empty() const { return names_.empty(); }
  [[nodiscard]] const hs_database_t* db() const { return db_.get(); }
  [[nodiscard]] const std::vector<SecretVariant>& variants() const { return variants_; }
  [[nodiscard]] const std::string& name(std::uint32_t i) const { return names_[i]; }

 private:
  std::vector<std::string> names_;
  std::vector<SecretVariant> variants_;
  HsDatabase db_;
};

// The Hyperscan regex that matches exactly `bytes` (any byte values).
[[nodiscard]] std::string literal_pattern(std::string_view bytes);

// `value` (UTF-8) as UTF-16 little- or big-endian; empty if it is not valid UTF-8.
[[nodiscard]] std::string utf16_encode(std::string_view value, bool big_endian);
// The encodings of `value` (exposed for tests).
[[nodiscard]] std::vector<SecretVariant> secret_variants(std::string_view value,
                                                         std::uint32_t index);

}  // namespace kavach::gate::detail
