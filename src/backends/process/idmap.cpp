#include "backends/process/idmap.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "backends/common/idmap_userns.hpp"

namespace kavach::process {

Result<int> IdmapCache::userns_for(uid_t owner_uid, gid_t owner_gid) {
  std::lock_guard lock(mu_);
  const auto key = std::make_pair(owner_uid, owner_gid);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second.get();
  auto ns = common::make_idmap_userns(owner_uid, owner_gid, host_uid_, host_gid_);
  if (!ns) return tl::unexpected(ns.error());
  const int fd = ns->get();
  cache_.emplace(key, std::move(*ns));
  return fd;
}

Result<common::UniqueFd> IdmapCache::idmapped_tree(const std::filesystem::path& host_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) {
    return fail(ErrorCode::path_not_found, "cannot stat '" + host_path.string() + "': " + std::strerror(errno),
                {{"path", host_path.string()}});
  }
  auto userns = userns_for(st.st_uid, st.st_gid);
  if (!userns) return tl::unexpected(userns.error());
  return common::idmapped_clone(host_path, *userns, /*recursive=*/true);
}

}  // namespace kavach::process
