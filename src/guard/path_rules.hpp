// Which locations below the writable roots are protected. Pure string logic on normalized
// absolute paths (as readlink of a descriptor reports them), shared by the guard and its tests.
//
// A relative protected path (".git/hooks") matches at every depth below a writable root:
// /w/.git/hooks, /w/vendor/lib/.git/hooks, and everything beneath them. An absolute one matches
// itself and everything beneath it. The proper prefixes of a protected path (".git" for
// ".git/hooks") are its ancestors: a directory may be made there (git init's .git), but no
// file, link or moved-in tree — else `mv planted .git` would bring its own hooks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kavach::guard {

enum class Verdict {
  outside,    // not below a writable root: nothing to check
  free,       // below a writable root, not protected
  ancestor,   // a proper prefix of a protected path: only a directory may be created here
  protected_  // a protected path or below one
};

class PathRules {
 public:
  PathRules(const std::vector<std::string>& writable_roots,
            const std::vector<std::string>& protected_paths);

  [[nodiscard]] Verdict classify(std::string_view absolute_path) const;
  [[nodiscard]] bool empty() const { return relative_.empty() && absolute_.empty(); }

 private:
  using Components = std::vector<std::string>;
  std::vector<Components> roots_;
  std::vector<Components> relative_;
  std::vector<Components> absolute_;
};

// "/a//b/./c/" -> {"a", "b", ".", "c"}: the components as written, empty ones dropped.
[[nodiscard]] std::vector<std::string> path_components(std::string_view path);

// "/a//b/./c/" -> {"a", "b", "c"}; ".." is kept as a component (callers pass resolved paths).
[[nodiscard]] std::vector<std::string> split_path(std::string_view path);

}  // namespace kavach::guard
