#include "numeric_flag.hpp"

#include <charconv>
#include <map>
#include <string>

namespace kavach::cli {
namespace {

tl::unexpected<Error> flag_error(const NumericFlag& f, const std::string& value, const char* what) {
  const NumericRange& r = f.range;
  std::map<std::string, std::string> context = {{"flag", std::string(r.key)},
                                                {"value", value},
                                                {"min", format_bound(r, r.min)},
                                                {"max", format_bound(r, r.max)},
                                                {"unit", std::string(r.unit)}};
  if (!f.field.empty()) context["key"] = std::string(f.field);
  return fail(ErrorCode::invalid_argument,
              std::string(r.key) + ": " + value + " " + what + " " + describe_range(r), std::move(context));
}

std::uint64_t suffix_multiplier(std::string_view unit) {
  if (unit.empty() || unit == "B") return 1;
  if (unit == "K" || unit == "k" || unit == "KiB") return 1ull << 10;
  if (unit == "M" || unit == "MiB") return 1ull << 20;
  if (unit == "G" || unit == "GiB") return 1ull << 30;
  return 0;
}

}  // namespace

Result<std::uint64_t> parse_size_flag(const NumericFlag& f, std::string_view raw) {
  const std::string text(raw);
  const auto digits_end = raw.find_first_not_of("0123456789");
  const std::string_view digits = raw.substr(0, digits_end);
  const std::uint64_t mult = suffix_multiplier(digits_end == std::string_view::npos ? "" : raw.substr(digits_end));
  if (digits.empty() || mult == 0) return flag_error(f, text, "is not a size (digits, then K, M or G) in");
  std::uint64_t value = 0;
  const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // Out of range as written ("5000000G"), never as a product that wrapped.
  if (parsed.ec != std::errc() || value > f.range.max / mult || value * mult < f.range.min) {
    return flag_error(f, text, "is out of range");
  }
  return value * mult * f.per_unit;
}

Result<std::uint64_t> parse_numeric_flag(const NumericFlag& f, std::string_view raw) {
  const std::string text(raw);
  if (raw.empty() || raw.find_first_not_of("0123456789") != std::string_view::npos) {
    return flag_error(f, text, "is not a number in");
  }
  std::uint64_t value = 0;
  const auto parsed = std::from_chars(raw.data(), raw.data() + raw.size(), value);
  // Digits only: the one failure left is more digits than 64 bits hold, out of range as well.
  if (parsed.ec != std::errc() || value < f.range.min || value > f.range.max) {
    return flag_error(f, text, "is out of range");
  }
  return value * f.per_unit;
}

}  // namespace kavach::cli
