#include "backends/common/host_paths.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/filesystem_view.hpp"
#include "core/user_cache.hpp"

namespace kavach::common {
namespace {

namespace fs = std::filesystem;

// kavach's own per-user directories hold what later runs trust (compiled seccomp programs, the
// audit key and anchors): a sandbox able to write there could weaken the next run. A writable
// path may not contain them or lie inside them. Their real paths are compared when they exist.
Result<void> check_not_kavach_state(const fs::path& lexical, const fs::path& canonical, const char* key) {
  for (const auto& [dir, what] : {std::pair{user_cache::cache_root(), "cache (compiled seccomp programs, gate databases)"},
                                  std::pair{user_cache::state_root(), "state (audit key and anchors, quarantine)"}}) {
    if (!dir) continue;
    std::error_code ec;
    const fs::path real = fs::weakly_canonical(*dir, ec);
    for (const fs::path& d : {dir->lexically_normal(), ec ? dir->lexically_normal() : real}) {
      if (is_under(d, canonical) || is_under(canonical, d) || is_under(d, lexical) || is_under(lexical, d)) {
        return fail(ErrorCode::policy_value,
                    std::string(key) + " entry '" + lexical.string() + "' would let the sandbox write kavach's own " +
                        what + " in " + d.string() + ", which later runs trust; make a narrower directory writable",
                    {{"path", lexical.string()}, {"key", key}, {"kavach_dir", d.string()}});
      }
    }
  }
  return {};
}

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
      if (writable) {
        if (auto r = check_not_kavach_state(lexical, canonical, key); !r) return r;
      }
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
