#include "core/capability_names.hpp"

#include <sys/capability.h>

#include <algorithm>
#include <cctype>

namespace kavach {

std::string canonical_capability_name(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (out.rfind("CAP_", 0) != 0) out = "CAP_" + out;
  return out;
}

std::optional<int> capability_number(std::string_view name) {
  // libcap knows the names (up to the capabilities of its release); the "CAP_" prefix keeps its
  // numeric spellings ("12") out.
  const std::string n = canonical_capability_name(name);
  cap_value_t value = -1;
  if (::cap_from_name(n.c_str(), &value) != 0 || value < 0) return std::nullopt;
  return static_cast<int>(value);
}

}  // namespace kavach
