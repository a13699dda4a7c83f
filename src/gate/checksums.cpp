#include "gate/checksums.hpp"

#include <zlib.h>

#include <vector>

namespace kavach::gate::detail {

std::uint32_t crc32(std::string_view data) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

std::string base62(std::uint64_t value, std::size_t width) {
  static constexpr std::string_view kDigits =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 62]);
    value /= 62;
  } while (value != 0);
  if (out.size() < width) out.insert(0, width - out.size(), '0');
  return out;
}

bool luhn_ok(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it < '0' || *it > '9') return false;
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool iban_mod97_ok(std::string_view iban) {
  if (iban.size() < 5) return false;
  std::uint32_t rem = 0;
  auto feed = [&rem](char c) -> bool {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + static_cast<std::uint32_t>(c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      const auto v = static_cast<std::uint32_t>(c - 'A' + 10);
      rem = (rem * 100 + v) % 97;
    } else {
      return false;
    }
    return true;
  };
  for (std::size_t i = 4; i < iban.size(); ++i) {
    if (!feed(iban[i])) return false;
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (!feed(iban[i])) return false;
  }
  return rem == 1;
}

bool verhoeff_ok(std::string_view digits) {
  static constexpr int d[10][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
      {3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
      {6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
      {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}};
  static constexpr int p[8][10] = {
      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
      {8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
      {2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}};
  if (digits.empty()) return false;
  int c = 0;
  std::size_t i = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++i) {
    if (*it < '0' || *it > '9') return false;
    c = d[c][p[i % 8][*it - '0']];
  }
  return c == 0;
}

bool bech32_ok(std::string_view text) {
  static constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  std::string s(text);
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  const auto sep = s.rfind('1');
  if (sep == std::string::npos || sep == 0 || sep + 7 > s.size()) return false;
  std::vector<std::uint8_t> values;
  for (std::size_t i = 0; i < sep; ++i) values.push_back(static_cast<std::uint8_t>(s[i] >> 5));
  values.push_back(0);
  for (std::size_t i = 0; i < sep; ++i) values.push_back(static_cast<std::uint8_t>(s[i] & 31));
  for (std::size_t i = sep + 1; i < s.size(); ++i) {
    const auto pos = kCharset.find(s[i]);
    if (pos == std::string_view::npos) return false;
    values.push_back(static_cast<std::uint8_t>(pos));
  }
  static constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                            0x2a1462b3};
  std::uint32_t chk = 1;
  for (auto v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if (((top >> i) & 1) != 0) chk ^= kGen[i];
    }
  }
  return chk == 1;
}

}  // namespace kavach::gate::detail
