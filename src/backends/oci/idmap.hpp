// Writable paths for a container whose users map to unprivileged host ids: an idmapped copy of
// each writable host directory (its on-disk owner shown as the container user) is attached under
// the bundle, and the runtime binds that copy into the container. runc 1.1 / runsc 2022 have no
// idmapped-mount support of their own, so kavach makes the mounts before starting them.
// (The process backend has the same need with detached trees: see process/idmap.hpp; this one
// attaches at a path because runtimes take mount sources by path.)
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::oci {

class IdmappedMounts {
 public:
  // Copies are attached at `dir`/w0, w1, ...; files owned by a path's owner appear as
  // `host_uid`/`host_gid` (the container user's host ids) through the copy.
  IdmappedMounts(std::filesystem::path dir, uid_t host_uid, gid_t host_gid)
      : dir_(std::move(dir)), host_uid_(host_uid), host_gid_(host_gid) {}
  IdmappedMounts(const IdmappedMounts&) = delete;
  IdmappedMounts& operator=(const IdmappedMounts&) = delete;
  ~IdmappedMounts() { release(); }

  // The attached copy's path. Error (setup_failed, the kernel's reason) when the filesystem or
  // kernel cannot idmap it; the caller then binds the path itself and says so.
  [[nodiscard]] Result<std::filesystem::path> attach(const std::filesystem::path& host_path);

  // Detaches every copy (lazy unmount) and removes the mount points. Idempotent.
  void release() noexcept;

 private:
  std::filesystem::path dir_;
  uid_t host_uid_;
  gid_t host_gid_;
  std::vector<std::filesystem::path> attached_;
};

// Unmounts (lazily) whatever is mounted at or below `dir` (stale copies of a crashed run).
void detach_all_below(const std::filesystem::path& dir) noexcept;

}  // namespace kavach::oci
