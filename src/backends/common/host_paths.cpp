#include "backends/common/host_paths.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/filesystem_view.hpp"

namespace kavach::common {
namespace {

namespace fs = std::filesystem;

class Resolver {
 public:
  Result<void> add(const std::vector<fs::path>& paths, bool writable, const char* key) {
    for (const auto& raw : paths) {
      if (!raw.is_absolute()) {
        return fail(ErrorCode::path_not_absolute, std::string(key) + " entry '" + raw.string() + "' is not an absolute path",
                    {{"path", raw.string()}, {"key", key}});
      }
      const fs::path lexical = raw.lexically_normal();
      struct stat st {};
      if (::lstat(lexical.c_str(), &st) != 0) {
        const int e = errno;
        return fail(ErrorCode::path_not_found,
                    std::string(key) + " entry '" + lexical.string() + "' cannot be used: " + std::strerror(e),
                    {{"path", lexical.string()}, {"key", key}});
      }
      std::error_code ec;
      const fs::path canonical = fs::canonical(lexical, ec);
      if (ec) {
        return fail(ErrorCode::path_not_found,
                    std::string(key) + " entry '" + lexical.string() + "' does not resolve: " + ec.message(),
                    {{"path", lexical.string()}, {"key", key}});
      }
      if (auto r = check_policy_path(lexical, canonical, key); !r) return r;
      HostPath e{canonical, canonical, writable, true, false, {}};
      if (S_ISLNK(st.st_mode)) {
        HostPath link{lexical, canonical, writable, true, true, fs::read_symlink(lexical, ec).string()};
        if (writable) {
          keep(std::move(link));  // the real directory is bound (and protected) at its real path
        } else {
          e = std::move(link);
        }
      }
      struct stat target_st {};
      e.is_dir = ::stat(canonical.c_str(), &target_st) == 0 && S_ISDIR(target_st.st_mode);
      for (const auto& other : out_) {
        if (other.target == e.target && other.writable != e.writable) {
          return fail(ErrorCode::policy_value, "path '" + e.target.string() + "' is listed both read-only and writable",
                      {{"path", e.target.string()}});
        }
      }
      keep(std::move(e));
    }
    return {};
  }

  std::vector<HostPath> finish() const {
    std::vector<HostPath> out;
    for (HostPath e : out_) {
      if (e.symlink) {
        const bool inside_bind = std::any_of(out_.begin(), out_.end(), [&](const HostPath& o) {
          return !o.symlink && o.target != e.target && is_under(e.target, o.target);
        });
        if (inside_bind) continue;
        const bool target_shown = std::any_of(out_.begin(), out_.end(), [&](const HostPath& o) {
          return !o.symlink && is_under(e.source, o.target);
        });
        e.symlink = target_shown;
      }
      out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(), [](const HostPath& a, const HostPath& b) { return a.target < b.target; });
    return out;
  }

 private:
  void keep(HostPath e) {
    if (std::none_of(out_.begin(), out_.end(), [&](const HostPath& o) { return o.target == e.target; })) {
      out_.push_back(std::move(e));
    }
  }
  std::vector<HostPath> out_;
};

}  // namespace

Result<std::vector<HostPath>> resolve_host_paths(const std::vector<fs::path>& readonly,
                                                 const std::vector<fs::path>& writable) {
  Resolver r;
  if (auto a = r.add(readonly, false, "fs.readonly_paths"); !a) return tl::unexpected(a.error());
  if (auto a = r.add(writable, true, "fs.writable_paths"); !a) return tl::unexpected(a.error());
  return r.finish();
}

}  // namespace kavach::common
