// Idmapped mounts for writable paths when kavach runs as root: the sandbox's user is an
// unprivileged host id, yet it must write where the policy says. A detached copy of the path,
// idmapped so the directory's on-disk owner appears as the sandbox user, is built in the parent
// (mount_setattr(MOUNT_ATTR_IDMAP) needs host privileges) and moved into place by the child.
// Files the sandbox creates there belong, on disk, to the directory's owner.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::process {

class IdmapCache {
 public:
  IdmapCache(uid_t sandbox_host_uid, gid_t sandbox_host_gid)
      : host_uid_(sandbox_host_uid), host_gid_(sandbox_host_gid) {}

  // Detached recursive clone of `host_path`, idmapped (owner -> sandbox host ids), nosuid and
  // nodev. Thread-safe. Error when the filesystem or kernel cannot idmap it.
  [[nodiscard]] Result<common::UniqueFd> idmapped_tree(const std::filesystem::path& host_path);

  // A user namespace (fd) mapping the on-disk owner to the sandbox's host ids, cached.
  [[nodiscard]] Result<int> userns_for(uid_t owner_uid, gid_t owner_gid);

 private:
  uid_t host_uid_;
  gid_t host_gid_;
  std::mutex mu_;
  std::map<std::pair<uid_t, gid_t>, common::UniqueFd> cache_;
};

}  // namespace kavach::process
