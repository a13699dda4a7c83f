// Output bytes in JSON without loss: JSON strings are UTF-8, a command's output need not be.
#pragma once

#include <string>
#include <string_view>

namespace kavach {

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF) — the
// same bytes nlohmann::json dumps unchanged.
[[nodiscard]] bool is_valid_utf8(std::string_view s);

// Standard base64 (RFC 4648, with padding).
[[nodiscard]] std::string base64(std::string_view bytes);

}  // namespace kavach
