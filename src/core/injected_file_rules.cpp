#include "core/injected_file_rules.hpp"

#include "core/filesystem_view.hpp"

namespace kavach {

Result<void> check_injected_file_path(const std::filesystem::path& path, std::set<std::filesystem::path>& seen) {
  const std::filesystem::path p = path.lexically_normal();
  const std::string ps = p.string();
  if (!path.is_absolute() || p != path || p.filename().empty()) {
    return fail(ErrorCode::invalid_argument,
                "injected file path '" + path.string() + "' must be an absolute, normalized file path",
                {{"path", path.string()}});
  }
  if (!seen.insert(p).second) {
    return fail(ErrorCode::invalid_argument, "injected file '" + ps + "' is given twice", {{"path", ps}});
  }
  const bool in_shm = is_under(p, "/dev/shm") && p != "/dev/shm";
  if ((is_under(p, "/dev") && !in_shm) || is_under(p, "/proc") || is_under(p, "/sys")) {
    return tl::unexpected(injected_file_on_host_mount(p));
  }
  return {};
}

Error injected_file_on_host_mount(const std::filesystem::path& path) {
  return Error{ErrorCode::invalid_argument,
               "injected file '" + path.string() +
                   "' would land on a host bind mount or a kernel filesystem; put it under /tmp, /run or another "
                   "path that only the sandbox's own tmpfs holds",
               {{"path", path.string()}}};
}

}  // namespace kavach
