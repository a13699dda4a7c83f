#include "guard/path_rules.hpp"

#include <algorithm>

namespace kavach::guard {

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out = path_components(path);
  std::erase(out, ".");
  return out;
}

PathRules::PathRules(const std::vector<std::string>& writable_roots,
                     const std::vector<std::string>& protected_paths) {
  for (const auto& r : writable_roots) roots_.push_back(split_path(r));
  // Longest root first: a path belongs to the deepest root that holds it.
  std::sort(roots_.begin(), roots_.end(),
            [](const Components& a, const Components& b) { return a.size() > b.size(); });
  for (const auto& p : protected_paths) {
    Components c = split_path(p);
    if (c.empty()) continue;
    (p.front() == '/' ? absolute_ : relative_).push_back(std::move(c));
  }
}

Verdict PathRules::classify(std::string_view absolute_path) const {
  const Components path = split_path(absolute_path);
  const Components* root = nullptr;
  for (const auto& r : roots_) {
    if (r.size() < path.size() && std::equal(r.begin(), r.end(), path.begin())) {
      root = &r;
      break;
    }
  }
  if (root == nullptr) return Verdict::outside;

  bool ancestor = false;
  for (const auto& a : absolute_) {
    const std::size_t n = std::min(a.size(), path.size());
    if (!std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), path.begin())) continue;
    if (path.size() >= a.size()) return Verdict::protected_;
    ancestor = true;
  }
  // Relative paths: every start position below the root.
  for (std::size_t start = root->size(); start < path.size(); ++start) {
    for (const auto& rel : relative_) {
      std::size_t k = 0;
      while (k < rel.size() && start + k < path.size() && path[start + k] == rel[k]) ++k;
      if (k == rel.size()) return Verdict::protected_;
      if (start + k == path.size() && k > 0) ancestor = true;
    }
  }
  return ancestor ? Verdict::ancestor : Verdict::free;
}

}  // namespace kavach::guard
