// The container's root filesystem: (a) an empty directory in the bundle onto which the host's
// system dirs are bound read-only (the default: runs host programs without any image),
// (b) a directory the policy names, used as is, or (c) an OCI image layout on disk unpacked with
// umoci into the bundle (no registry pulls: fetching images, e.g. with skopeo, is the caller's job).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "backends/oci/mount_plan.hpp"
#include "backends/oci/spec.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci {

struct PreparedRootfs {
  RootfsKind kind = RootfsKind::host_view;
  std::filesystem::path path;  // absolute
  bool owned = true;           // inside the bundle: we may create mount points in it
  std::string detail;          // for the report: "host view", "directory /srv/root", "image /img:tag"
};

// Picks the kind from policy.oci and prepares it. Errors: path_not_found (rootfs / image missing),
// runtime_missing (umoci), setup_failed (unpack failed, with umoci's message).
// `id_mapping`: unpacked image files are owned by the container's mapped ids.
[[nodiscard]] Result<PreparedRootfs> prepare_rootfs(const OciPolicy& oci, const std::filesystem::path& bundle_dir,
                                                    const HostInfo& host, const std::optional<IdMapping>& id_mapping);

// Owned roots: the plan's symlinks and every mount point the runtime would otherwise have to
// create as the container's unprivileged user (created without ever following a symlink).
// Directory roots are not written to: a missing mount point is an error naming it.
[[nodiscard]] Result<void> populate_rootfs(const PreparedRootfs& root, const MountPlan& plan);

}  // namespace kavach::oci
