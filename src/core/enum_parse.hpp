// Names to enum values, one way for every enum with a to_string(): an unknown name is an error
// that lists every valid one ("unknown backend 'x'; valid backends: process, gvisor, ...").
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "kavach/error.hpp"

namespace kavach {

// `what` names the kind in the message ("backend"), `plural` the list ("backends").
template <class E, class Range>
[[nodiscard]] Result<E> parse_enum(std::string_view name, const Range& all, ErrorCode code, std::string_view what,
                                   std::string_view plural, std::map<std::string, std::string> context = {}) {
  std::string valid;
  for (E e : all) {
    if (to_string(e) == name) return e;
    valid += (valid.empty() ? "" : ", ") + std::string(to_string(e));
  }
  return fail(code, "unknown " + std::string(what) + " '" + std::string(name) + "'; valid " + std::string(plural) +
                        ": " + valid,
              std::move(context));
}

}  // namespace kavach
