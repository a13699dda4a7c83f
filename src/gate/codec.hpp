// Byte codecs shared by validators, decode-through and registered-secret variants.
// Decoders are strict (false on a byte outside the alphabet) and never allocate more than the
// input implies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kavach::gate::detail {

enum class Encoding : std::uint8_t { base64, hex, url };
[[nodiscard]] std::string_view to_string(Encoding e);

enum class B64 : std::uint8_t { standard, url, either };

// Padding ('=') is accepted only at the end; a length of 1 mod 4 is invalid.
[[nodiscard]] bool base64_decode(std::string_view in, B64 alphabet, std::string& out);
[[nodiscard]] bool hex_decode(std::string_view in, std::string& out);
// Decodes %XX escapes (other bytes copied). map[i] = input offset of decoded byte i;
// map.back() = in.size(). Returns false when nothing was escaped.
[[nodiscard]] bool url_decode(std::string_view in, std::string& out, std::vector<std::uint32_t>& map);

[[nodiscard]] std::string base64_encode(std::string_view in, bool url_alphabet, bool pad);
[[nodiscard]] std::string hex_encode(std::string_view in, bool upper);
// Percent-encodes everything but RFC 3986 unreserved characters.
[[nodiscard]] std::string url_encode(std::string_view in, bool upper_hex);
// JSON string escaping of `"`, `\` and control characters (how a secret looks inside JSON).
[[nodiscard]] std::string json_escape(std::string_view in);

// Which input bytes produced decoded bytes [a, z) of a decoded buffer.
struct DecodedSpanMap {
  Encoding encoding = Encoding::base64;
  const std::vector<std::uint32_t>* url_map = nullptr;
  [[nodiscard]] std::pair<std::size_t, std::size_t> source_span(std::size_t a, std::size_t z) const;
};

}  // namespace kavach::gate::detail
