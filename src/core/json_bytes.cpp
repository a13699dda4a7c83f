#include "core/json_bytes.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>

namespace kavach {

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;  // a continuation byte first, or a lead byte no code point uses (C0, C1, F5..FF)
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  // OpenSSL's encoder takes an int length, so large outputs go in chunks of whole 3-byte groups.
  constexpr std::size_t kChunk = std::size_t{3} << 20;
  std::string out;
  for (std::size_t at = 0; at < bytes.size(); at += kChunk) {
    const std::size_t len = std::min(kChunk, bytes.size() - at);
    const std::size_t start = out.size();
    out.resize(start + 4 * ((len + 2) / 3) + 1);  // the encoder always writes a trailing NUL
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + start),
                                  reinterpret_cast<const unsigned char*>(bytes.data() + at), static_cast<int>(len));
    out.resize(start + static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace kavach
