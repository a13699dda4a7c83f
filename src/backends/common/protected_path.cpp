#include "backends/common/protected_path.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <set>

namespace kavach::common {

Result<std::vector<ProtectedStep>> protected_path_steps(const std::filesystem::path& root,
                                                        const std::filesystem::path& rel) {
  std::vector<ProtectedStep> steps;
  std::filesystem::path cur = root;
  for (auto it = rel.begin(); it != rel.end(); ++it) {
    cur /= *it;
    ProtectedStep step;
    step.path = cur;
    step.last = std::next(it) == rel.end();
    struct stat st {};
    if (::lstat(cur.c_str(), &st) != 0) {
      if (errno != ENOENT) {
        const int e = errno;
        return fail(ErrorCode::setup_failed,
                    "cannot inspect protected path '" + cur.string() + "': " + std::strerror(e),
                    {{"path", cur.string()}, {"stage", "mounts"}});
      }
      steps.push_back(std::move(step));
      break;
    }
    if (S_ISLNK(st.st_mode)) {
      return fail(ErrorCode::setup_failed,
                  "protected path component '" + cur.string() +
                      "' is a symbolic link; refusing to run (it could redirect the read-only mask)",
                  {{"path", cur.string()}, {"stage", "mounts"}});
    }
    step.exists = true;
    step.is_dir = S_ISDIR(st.st_mode);
    const bool stop = step.last || !step.is_dir;
    steps.push_back(std::move(step));
    if (stop) break;
  }
  return steps;
}

Result<std::vector<ProtectedBind>> protected_binds(const std::vector<std::filesystem::path>& protected_paths,
                                                   const std::vector<std::filesystem::path>& writable_roots) {
  namespace fs = std::filesystem;
  auto is_under = [](const fs::path& p, const fs::path& dir) {
    auto d = dir.begin();
    auto q = p.begin();
    for (; d != dir.end(); ++d, ++q) {
      if (q == p.end() || *q != *d) return false;
    }
    return true;
  };
  std::vector<fs::path> candidates;
  for (const auto& p : protected_paths) {
    if (p.empty()) continue;
    if (p.is_absolute()) {
      candidates.push_back(p.lexically_normal());
    } else {
      for (const auto& w : writable_roots) candidates.push_back((w / p).lexically_normal());
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<ProtectedBind> out;
  std::set<fs::path> placed;
  for (const auto& c : candidates) {
    const fs::path* root = nullptr;
    for (const auto& w : writable_roots) {
      if (is_under(c, w) && (root == nullptr || w.string().size() > root->string().size())) root = &w;
    }
    if (root == nullptr || c == *root) continue;  // not writable here: read-only already
    auto steps = protected_path_steps(*root, c.lexically_relative(*root));
    if (!steps) return tl::unexpected(steps.error());
    for (const auto& step : *steps) {
      if (!step.exists) break;                        // the guard refuses creating it
      if (!placed.insert(step.path).second) continue;  // an earlier protected path placed it
      out.push_back({step.path, *root, step.last || !step.is_dir});
    }
  }
  return out;
}

}  // namespace kavach::common
