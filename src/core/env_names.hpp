// What the kernel and libc accept as an environment variable name: non-empty, no '=' and no
// NUL (execve would split or truncate it). Stricter naming (POSIX portable names) is the
// credential CLI's business, not the policy's.
#pragma once

#include <string_view>

namespace kavach {

[[nodiscard]] inline bool is_env_var_name(std::string_view n) {
  return !n.empty() && n.find('=') == std::string_view::npos && n.find('\0') == std::string_view::npos;
}

}  // namespace kavach
