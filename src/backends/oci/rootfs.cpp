#include "backends/oci/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends/common/unique_fd.hpp"
#include "backends/oci/state_dirs.hpp"
#include "backends/oci/tool_process.hpp"

namespace kavach::oci {
namespace {

namespace fs = std::filesystem;
using common::UniqueFd;

// The closest mount above `m` (nullptr when it sits directly on the root filesystem).
const OciMount* parent_mount(const OciMount& m, const MountPlan& plan) {
  const fs::path dest(m.destination);
  const OciMount* best = nullptr;
  for (const auto& other : plan.mounts) {
    const fs::path o(other.destination);
    if (o == dest) continue;
    auto di = dest.begin();
    bool under = true;
    for (auto oi = o.begin(); oi != o.end(); ++oi, ++di) {
      if (di == dest.end() || *di != *oi) {
        under = false;
        break;
      }
    }
    if (under && (best == nullptr || other.destination.size() > best->destination.size())) best = &other;
  }
  return best;
}

bool source_is_file(const OciMount& m) {
  if (m.type != "bind") return false;
  struct stat st {};
  return ::stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

Error mount_point_error(const fs::path& root, const std::string& dest, const std::string& why) {
  return make_error(ErrorCode::setup_failed,
                    "root filesystem " + root.string() + ": mount point " + dest + ": " + why,
                    {{"path", dest}, {"stage", "rootfs"}});
}

// Creates `dest` (absolute, inside `root`) component by component with *at() calls and
// O_NOFOLLOW, so a symlink in the tree can never redirect the creation outside the root.
Result<void> make_mount_point(const fs::path& root, const std::string& dest, bool file) {
  UniqueFd dir(::open(root.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!dir) return tl::unexpected(mount_point_error(root, dest, std::strerror(errno)));
  const fs::path rel = fs::path(dest).relative_path();
  for (auto it = rel.begin(); it != rel.end(); ++it) {
    const std::string name = it->string();
    const bool last = std::next(it) == rel.end();
    if (last && file) {
      const int fd = ::openat(dir.get(), name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) return tl::unexpected(mount_point_error(root, dest, std::strerror(errno)));
      ::close(fd);
      return {};
    }
    if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
      return tl::unexpected(mount_point_error(root, dest, std::strerror(errno)));
    }
    UniqueFd next(::openat(dir.get(), name.c_str(), O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC));
    if (!next) {
      return tl::unexpected(mount_point_error(
          root, dest, errno == ELOOP || errno == ENOTDIR ? "a component is a symlink or not a directory"
                                                         : std::strerror(errno)));
    }
    dir = std::move(next);
  }
  return {};
}

Result<PreparedRootfs> unpack_image(const OciPolicy& oci, const fs::path& bundle_dir, const HostInfo& host,
                                    const std::optional<IdMapping>& ids) {
  const auto umoci = host.runtimes.find("umoci");
  if (umoci == host.runtimes.end()) {
    return fail(ErrorCode::runtime_missing,
                "oci.image needs umoci to unpack the image layout (install the Debian package: apt-get install umoci)",
                {{"runtime", "umoci"}, {"package", "umoci"}});
  }
  if (!fs::exists(oci.image / "index.json") || !fs::exists(oci.image / "oci-layout")) {
    return fail(ErrorCode::path_not_found,
                "oci.image " + oci.image.string() + " is not an OCI image layout (no index.json / oci-layout)",
                {{"path", oci.image.string()}});
  }
  PreparedRootfs r{RootfsKind::image, bundle_dir / "rootfs", true,
                   "OCI image " + oci.image.string() + ":" + oci.image_tag + " (unpacked with umoci)"};
  std::vector<std::string> argv = {umoci->second, "raw", "unpack"};
  if (ids) {
    const std::string map = std::to_string(ids->container_id) + ":" + std::to_string(ids->host_id) + ":" +
                            std::to_string(ids->size);
    argv.insert(argv.end(), {"--uid-map", map, "--gid-map", map});
  }
  argv.insert(argv.end(), {"--image", oci.image.string() + ":" + oci.image_tag, r.path.string()});
  auto run = run_tool(argv, std::chrono::seconds(120));
  if (!run) return tl::unexpected(run.error());
  if (!run->ok()) {
    return fail(ErrorCode::setup_failed, run->describe("umoci raw unpack " + oci.image.string() + ":" + oci.image_tag),
                {{"stage", "rootfs"}, {"path", oci.image.string()}});
  }
  (void)::chmod(r.path.c_str(), 0755);
  return r;
}

// runsc's gofer remounts the root read-only from inside its user namespace, where the nosuid,
// nodev and noexec flags of the mount it sits on are locked and must be repeated; runsc does not
// repeat them, so on such a filesystem (Debian's /run tmpfs, kavach's memory-backed state) the
// sandbox fails with EPERM. The root kavach owns gets a bind of its own without those flags (its
// contents are mount points, symlinks or an unpacked image; no_new_privs stays in force). The
// bind goes with the bundle (remove_bundle_dir detaches everything below it).
Result<void> own_mount_without_locked_flags(const fs::path& root) {
  struct statvfs st {};
  if (::statvfs(root.c_str(), &st) != 0) {
    return fail(ErrorCode::setup_failed, "statvfs " + root.string() + ": " + std::strerror(errno), {{"stage", "rootfs"}});
  }
  if ((st.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC)) == 0) return {};
  if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, root.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr) != 0 ||
      ::mount(nullptr, root.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) {
    return fail(ErrorCode::setup_failed,
                "the root filesystem's directory " + root.string() + " is on a nosuid/nodev/noexec mount and "
                    "re-binding it without those flags failed: " + std::strerror(errno),
                {{"stage", "rootfs"}, {"path", root.string()}});
  }
  return {};
}

}  // namespace

Result<PreparedRootfs> prepare_rootfs(const OciPolicy& oci, const fs::path& bundle_dir, const HostInfo& host,
                                      const std::optional<IdMapping>& id_mapping) {
  std::error_code ec;
  if (!oci.rootfs.empty()) {
    if (!fs::is_directory(oci.rootfs, ec)) {
      return fail(ErrorCode::path_not_found,
                  "oci.rootfs '" + oci.rootfs.string() + "' " +
                      (fs::exists(oci.rootfs, ec) ? "is not a directory" : "does not exist"),
                  {{"path", oci.rootfs.string()}, {"key", "oci.rootfs"}});
    }
    const fs::path canon = fs::canonical(oci.rootfs, ec);
    if (ec) {
      return fail(ErrorCode::path_not_found, "oci.rootfs '" + oci.rootfs.string() + "': " + ec.message(),
                  {{"path", oci.rootfs.string()}, {"key", "oci.rootfs"}});
    }
    return PreparedRootfs{RootfsKind::directory, canon, false, "directory " + canon.string()};
  }
  if (!oci.image.empty()) {
    if (!fs::is_directory(oci.image, ec)) {
      return fail(ErrorCode::path_not_found, "oci.image '" + oci.image.string() + "' does not exist",
                  {{"path", oci.image.string()}, {"key", "oci.image"}});
    }
    auto r = unpack_image(oci, bundle_dir, host, id_mapping);
    if (!r) return r;
    if (auto own = own_mount_without_locked_flags(r->path); !own) return tl::unexpected(own.error());
    return r;
  }
  PreparedRootfs r{RootfsKind::host_view, bundle_dir / "rootfs", true, "read-only view of the host's system directories"};
  if (auto made = make_dirs(r.path, 0755); !made) return tl::unexpected(made.error());
  if (auto own = own_mount_without_locked_flags(r.path); !own) return tl::unexpected(own.error());
  return r;
}

Result<void> populate_rootfs(const PreparedRootfs& root, const MountPlan& plan) {
  if (root.owned) {
    for (const auto& link : plan.symlinks) {
      const fs::path at = root.path / fs::path(link.name).relative_path();
      if (::symlink(link.target.c_str(), at.c_str()) != 0 && errno != EEXIST) {
        return fail(ErrorCode::setup_failed, "rootfs symlink " + link.name + ": " + std::strerror(errno),
                    {{"path", link.name}, {"stage", "rootfs"}});
      }
    }
  }
  std::string missing;
  for (const auto& m : plan.mounts) {
    // Under a bind the mount point exists in the bound host tree (or is a mask_point). Under a
    // tmpfs runc creates it itself, but gVisor's gofer prepares binds in the underlying root
    // filesystem as an unprivileged user: in a root we own, create those too (hidden by the tmpfs).
    const OciMount* parent = parent_mount(m, plan);
    if (parent != nullptr && (parent->type == "bind" || !root.owned)) continue;
    if (root.owned) {
      if (auto r = make_mount_point(root.path, m.destination, source_is_file(m)); !r) return r;
      continue;
    }
    struct stat st {};
    const fs::path at = root.path / fs::path(m.destination).relative_path();
    if (::lstat(at.c_str(), &st) != 0) missing += (missing.empty() ? "" : ", ") + m.destination;
  }
  if (!missing.empty()) {
    return fail(ErrorCode::path_not_found,
                "oci.rootfs " + root.path.string() + " lacks the mount point(s) " + missing +
                    " (kavach does not write into a root filesystem it does not own; create them)",
                {{"path", root.path.string()}, {"missing", missing}, {"stage", "rootfs"}});
  }
  return {};
}

}  // namespace kavach::oci
