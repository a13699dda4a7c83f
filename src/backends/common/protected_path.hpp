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

// One bind that keeps a protected path read-only inside a writable one.
struct ProtectedBind {
  std::filesystem::path path;  // where, inside the sandbox (the same path on the host)
  std::filesystem::path root;  // the writable root it lies in
  bool read_only = false;      // the protected path itself, or a file on the way; else a pin
};

// Every bind the protected paths need, the same for every backend: absolute entries as they are,
// relative ones below each writable root; each inside its innermost writable root (outside every
// writable root a path is read-only already). Every existing component between the root and
// the path is pinned by a bind onto itself (a mount point cannot be renamed or removed, so the
// sandbox cannot move it aside, and a bind is another mount, so it cannot be hard-linked out);
// the path itself is bound read-only. What does not exist is left alone — nothing is created
// on the host: kavach-guard refuses creating it, at every depth. Each path appears once, parents
// first.
[[nodiscard]] Result<std::vector<ProtectedBind>> protected_binds(
    const std::vector<std::filesystem::path>& protected_paths,
    const std::vector<std::filesystem::path>& writable_roots);

}  // namespace kavach::common
