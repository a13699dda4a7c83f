// Check-digit algorithms used by validators (and mirrored by the corpus generator).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kavach::gate::detail {

[[nodiscard]] std::uint32_t crc32(std::string_view data);  // IEEE 802.3 (zlib) polynomial
// Base62 (0-9A-Za-z) of `value`, left-padded with '0' to `width`.
[[nodiscard]] std::string base62(std::uint64_t value, std::size_t width);

// Digits only: Luhn (mod 10) holds.
[[nodiscard]] bool luhn_ok(std::string_view digits);
// ISO 13616: letters A..Z as 10..35, rearranged, mod 97 == 1. Input without spaces.
[[nodiscard]] bool iban_mod97_ok(std::string_view iban);
// Verhoeff check (Aadhaar).
[[nodiscard]] bool verhoeff_ok(std::string_view digits);
// BIP-173 bech32 checksum over the lower-cased string "hrp1data".
[[nodiscard]] bool bech32_ok(std::string_view text);

}  // namespace kavach::gate::detail
