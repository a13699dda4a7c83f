// Walking a protected path (e.g. `.git/hooks` inside a writable work dir) component by component,
// the same way for every backend that masks them: a symbolic link anywhere on the way is refused
// (it could redirect the read-only mask), and a component that cannot be inspected is an error,
// never taken for "missing".
#pragma once

#include <filesystem>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::common {

struct ProtectedStep {
  std::filesystem::path path;  // root / first k components of rel
  bool exists = false;
  bool is_dir = false;
  bool last = false;           // the protected path itself
};

// The components of `rel` below `root`, in order, up to the first missing one, the first that is
// not a directory, or the protected path itself — whichever comes first (inclusive).
[[nodiscard]] Result<std::vector<ProtectedStep>> protected_path_steps(const std::filesystem::path& root,
                                                                      const std::filesystem::path& rel);

}  // namespace kavach::common
