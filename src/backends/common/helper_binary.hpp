// Finding the small static programs kavach starts inside sandboxes (kavach-guard,
// kavach-egress-bridge): an environment override, the install location, this build tree.
#pragma once

#include <filesystem>
#include <string>

#include "kavach/error.hpp"

namespace kavach::common {

struct HelperBinary {
  const char* program;       // "kavach-guard"
  const char* env;           // "KAVACH_GUARD": an explicit path wins
  const char* install_path;  // the install layout's libexec path
  const char* build_path;    // this build tree's
  std::string needed_for;    // "protected_paths" (the control named in the error)
};

// The first executable candidate, or runtime_missing naming every path tried.
[[nodiscard]] Result<std::filesystem::path> find_helper_binary(const HelperBinary& h);

}  // namespace kavach::common
