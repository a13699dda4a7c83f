#pragma once

#include <string_view>

namespace kavach::gate::detail {

// The .kdb bytes of the builtin rules (see embedded_db.cpp).
[[nodiscard]] std::string_view builtin_db_bytes();

}  // namespace kavach::gate::detail
