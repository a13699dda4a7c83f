// Lower-case hex, the one implementation (digests, random ids, \xHH escapes, BPF dumps).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kavach {

inline constexpr char kHexDigits[] = "0123456789abcdef";

inline void append_hex_byte(std::string& out, unsigned char b) {
  out.push_back(kHexDigits[b >> 4]);
  out.push_back(kHexDigits[b & 15]);
}

[[nodiscard]] inline std::string hex_encode(const void* data, std::size_t n) {
  std::string out;
  out.reserve(n * 2);
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) append_hex_byte(out, p[i]);
  return out;
}

[[nodiscard]] inline std::string hex_encode(std::string_view bytes) { return hex_encode(bytes.data(), bytes.size()); }

}  // namespace kavach
