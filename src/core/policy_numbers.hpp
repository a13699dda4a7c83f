// validate_policy's numeric part: every number of a SandboxPolicy against kNumericRanges.
#pragma once

#include "kavach/policy.hpp"

namespace kavach {

[[nodiscard]] Result<void> validate_policy_numbers(const SandboxPolicy& p);

}  // namespace kavach
