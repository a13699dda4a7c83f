#include "gate/codec.hpp"

#include <array>

namespace kavach::gate::detail {
namespace {

constexpr std::string_view kStd = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// 0..63: value; 64: '+' or '/' (standard only); 65: '-' or '_' (url only); 255: not base64.
constexpr std::array<std::uint8_t, 256> make_b64_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = 255;
  for (std::size_t i = 0; i < 62; ++i) t[static_cast<unsigned char>(kStd[i])] = static_cast<std::uint8_t>(i);
  t['+'] = 62;
  t['/'] = 63;
  t['-'] = 62 | 0x80;
  t['_'] = 63 | 0x80;
  return t;
}
constexpr auto kB64Table = make_b64_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string_view to_string(Encoding e) {
  switch (e) {
    case Encoding::base64: return "base64";
    case Encoding::hex: return "hex";
    case Encoding::url: return "url";
  }
  return "base64";
}

bool base64_decode(std::string_view in, B64 alphabet, std::string& out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  out.resize(in.size() * 3 / 4);
  char* o = out.data();
  bool saw_std = false;
  bool saw_url = false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    std::uint8_t v = kB64Table[static_cast<unsigned char>(ch)];
    if (v == 255) return false;
    if ((v & 0x80) != 0) {
      saw_url = true;
      v &= 0x7f;
    } else if (v >= 62) {
      saw_std = true;
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  out.resize(static_cast<std::size_t>(o - out.data()));
  if (alphabet == B64::standard && saw_url) return false;
  if (alphabet == B64::url && saw_std) return false;
  return !(saw_std && saw_url);
}

bool hex_decode(std::string_view in, std::string& out) {
  if (in.size() % 2 != 0) return false;
  out.clear();
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i < in.size(); i += 2) {
    const int hi = hex_value(in[i]);
    const int lo = hex_value(in[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bool url_decode(std::string_view in, std::string& out, std::vector<std::uint32_t>& map) {
  out.clear();
  map.clear();
  bool escaped = false;
  for (std::size_t i = 0; i < in.size();) {
    map.push_back(static_cast<std::uint32_t>(i));
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 3;
        escaped = true;
        continue;
      }
    }
    out.push_back(in[i]);
    ++i;
  }
  map.push_back(static_cast<std::uint32_t>(in.size()));
  return escaped;
}

std::string base64_encode(std::string_view in, bool url_alphabet, bool pad) {
  const std::string_view abc = url_alphabet ? kUrl : kStd;
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out.push_back(abc[(v >> 18) & 63]);
    out.push_back(abc[(v >> 12) & 63]);
    out.push_back(abc[(v >> 6) & 63]);
    out.push_back(abc[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(abc[(v >> 18) & 63]);
    out.push_back(abc[(v >> 12) & 63]);
    if (rest == 2) out.push_back(abc[(v >> 6) & 63]);
    if (pad) out.append(rest == 1 ? "==" : "=");
  }
  return out;
}

std::string hex_encode(std::string_view in, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(in.size() * 2);
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string url_encode(std::string_view in, bool upper_hex) {
  const char* digits = upper_hex ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    if (unreserved(b)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
  }
  return out;
}

std::string json_escape(std::string_view in) {
  std::string out;
  for (char c : in) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::pair<std::size_t, std::size_t> DecodedSpanMap::source_span(std::size_t a, std::size_t z) const {
  switch (encoding) {
    case Encoding::hex: return {2 * a, 2 * z};
    case Encoding::url: return {(*url_map)[a], (*url_map)[z]};
    case Encoding::base64:
      // Decoded byte i is bits [8i, 8i+8) of the 6-bit character stream.
      return {(8 * a) / 6, z == 0 ? 0 : (8 * z - 1) / 6 + 1};
  }
  return {a, z};
}

}  // namespace kavach::gate::detail
