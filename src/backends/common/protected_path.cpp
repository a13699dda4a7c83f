#include "backends/common/protected_path.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iterator>

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

}  // namespace kavach::common
