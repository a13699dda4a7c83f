// Idmapped mounts, shared by the process and OCI backends: a user namespace that maps a path's
// on-disk owner to the sandbox user's host ids, and a detached clone of the path idmapped through
// it (mount_setattr(MOUNT_ATTR_IDMAP) needs host privileges, so this runs in the parent).
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::common {

// A user namespace whose only mapping is owner -> target (uid and gid), held by the returned fd.
[[nodiscard]] Result<UniqueFd> make_idmap_userns(uid_t owner_uid, gid_t owner_gid, uid_t target_uid,
                                                 gid_t target_gid);

// Detached clone of `host_path` (with its submounts when `recursive`), idmapped through
// `userns_fd`, nosuid and nodev. Error (setup_failed, the kernel's reason) when the filesystem
// or kernel cannot idmap it.
[[nodiscard]] Result<UniqueFd> idmapped_clone(const std::filesystem::path& host_path, int userns_fd,
                                              bool recursive);

}  // namespace kavach::common
