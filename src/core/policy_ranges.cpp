// Range checks against the table in policy_ranges.hpp: one message shape for every numeric field.
#include "kavach/policy_ranges.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace kavach {
namespace {

// Every bound must be exact as a double (the real check compares doubles).
constexpr bool bounds_exact() {
  for (const NumericRange* r : kNumericRanges) {
    if (r->max > (1ull << 53) || r->min > r->max || r->scale == 0) return false;
  }
  return true;
}
static_assert(bounds_exact());

std::string real_text(double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return ec == std::errc() ? std::string(buf.data(), end) : std::string("?");
}

Error range_error(const NumericRange& r, std::string_view key, const std::string& value, const char* what) {
  const std::string name(key.empty() ? r.key : key);
  return make_error(ErrorCode::policy_value, name + ": " + value + " " + what + " " + describe_range(r),
                    {{"key", name},
                     {"value", value},
                     {"min", format_bound(r, r.min)},
                     {"max", format_bound(r, r.max)},
                     {"unit", std::string(r.unit)}});
}

}  // namespace

std::string format_bound(const NumericRange& r, std::uint64_t bound) {
  std::string out = std::to_string(bound / r.scale);
  std::uint64_t frac = bound % r.scale;
  if (frac == 0) return out;
  // scale is a power of ten: print the remainder with its leading zeros, without trailing ones.
  std::string digits;
  for (std::uint64_t s = r.scale; s > 1; s /= 10) {
    digits.insert(digits.begin(), static_cast<char>('0' + frac % 10));
    frac /= 10;
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

Error out_of_range_error(const NumericRange& r, std::string_view key, const std::string& value) {
  return range_error(r, key, value, "is out of range");
}

std::string describe_range(const NumericRange& r) {
  return "[" + format_bound(r, r.min) + ", " + format_bound(r, r.max) + "] " + std::string(r.unit);
}

Result<void> check_range(const NumericRange& r, std::uint64_t value, std::string_view key) {
  if (value < r.min || value > r.max) return tl::unexpected(out_of_range_error(r, key, std::to_string(value)));
  return {};
}

Result<void> check_signed_range(const NumericRange& r, std::int64_t value, std::string_view key) {
  if (value < 0) return tl::unexpected(out_of_range_error(r, key, std::to_string(value)));
  return check_range(r, static_cast<std::uint64_t>(value), key);
}

Result<void> check_real_range(const NumericRange& r, double value, std::string_view key) {
  if (!std::isfinite(value)) return tl::unexpected(range_error(r, key, real_text(value), "is not a number in"));
  const double scale = static_cast<double>(r.scale);
  const double lo = static_cast<double>(r.min) / scale;
  const double hi = static_cast<double>(r.max) / scale;
  if (value < lo || value > hi) return tl::unexpected(out_of_range_error(r, key, real_text(value)));
  return {};
}

}  // namespace kavach
