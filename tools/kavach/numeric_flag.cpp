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

}  // namespace

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
