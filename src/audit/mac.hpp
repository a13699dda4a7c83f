// HMAC-SHA256 with domain separation, hex helpers and constant-time comparison for the audit chain.
#pragma once

#include <string>
#include <string_view>

namespace kavach::detail {

inline constexpr std::size_t kMacHexLen = 64;  // SHA-256 as hex

// Distinct prefixes keep a record MAC, a head MAC, an anchor MAC and the chain's genesis value from
// ever being interchangeable.
enum class MacDomain { record, head, genesis, anchor };

[[nodiscard]] std::string mac_hex(std::string_view key, MacDomain domain, std::string_view data);
// Constant-time over equal lengths (CRYPTO_memcmp); different lengths are unequal.
[[nodiscard]] bool mac_equal(std::string_view a, std::string_view b);
[[nodiscard]] bool is_mac_hex(std::string_view s);
[[nodiscard]] std::string random_hex(std::size_t bytes);  // from RAND_bytes; empty on failure

}  // namespace kavach::detail
