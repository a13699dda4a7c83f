// Format checks beyond the regex (checksums, structure). Each takes the secret as matched.
#pragma once

#include <string_view>

#include "gate/rule.hpp"

namespace kavach::gate::detail {

[[nodiscard]] bool validate(Validator v, std::string_view secret);

}  // namespace kavach::gate::detail
