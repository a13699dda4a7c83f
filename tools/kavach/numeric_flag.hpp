// Numeric flags (--memory-mb, --timeout-ms, --pids, --output-limit, --max-bytes): read as text and checked here,
// not by CLI11, whose unsigned parsing turns "-5" into 2^64-5 and accepts hex, octal and spaces.
#pragma once

#include <cstdint>
#include <string_view>

#include "kavach/policy_ranges.hpp"

namespace kavach::cli {

struct NumericFlag {
  NumericRange range;           // key = the flag, bounds and unit = the flag's own
  std::uint64_t per_unit = 1;   // the value in the field's unit = flag value * per_unit
  std::string_view field;       // the policy field it sets ("" if none)
};

// A flag that sets `field` in units of `per_unit`: the field's range rounded inward, so the
// multiplication never overflows and every accepted value is one the field accepts.
constexpr NumericFlag numeric_flag(std::string_view flag, const NumericRange& field, std::string_view unit,
                                   std::uint64_t per_unit) {
  return {{flag, (field.min + per_unit - 1) / per_unit, field.max / per_unit, unit}, per_unit, field.key};
}

inline constexpr NumericFlag kMemoryMbFlag = numeric_flag("--memory-mb", ranges::memory, "MiB", ranges::kMiB);
inline constexpr NumericFlag kTimeoutMsFlag = numeric_flag("--timeout-ms", ranges::wall_timeout, "ms", 1);
inline constexpr NumericFlag kPidsFlag = numeric_flag("--pids", ranges::pids, "processes", 1);
inline constexpr NumericFlag kDiskMbFlag = numeric_flag("--disk-mb", ranges::disk, "MiB", ranges::kMiB);
inline constexpr NumericFlag kOutputLimitFlag = numeric_flag("--output-limit", ranges::output, "bytes", 1);

// Decimal digits only, within the flag's range; returns the value in the field's unit.
// Errors are invalid_argument: "--memory-mb: -5 is not a number in [4, 1073741824] MiB".
[[nodiscard]] Result<std::uint64_t> parse_numeric_flag(const NumericFlag& f, std::string_view raw);

// A size: decimal digits and an optional suffix K, M or G (KiB, MiB, GiB; as policy files
// write sizes), checked as written against the flag's range in bytes: "--output-limit 8M".
[[nodiscard]] Result<std::uint64_t> parse_size_flag(const NumericFlag& f, std::string_view raw);

}  // namespace kavach::cli
