#include "backends/oci/idmap.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "backends/common/idmap_userns.hpp"
#include "backends/common/unique_fd.hpp"

namespace kavach::oci {
namespace {

Error idmap_error(const std::string& what, int e, const std::filesystem::path& p) {
  return make_error(ErrorCode::setup_failed, what + ": " + std::strerror(e),
                    {{"path", p.string()}, {"stage", "idmap"}});
}

}  // namespace

Result<std::filesystem::path> IdmappedMounts::attach(const std::filesystem::path& host_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) return tl::unexpected(idmap_error("stat " + host_path.string(), errno, host_path));
  auto ns = common::make_idmap_userns(st.st_uid, st.st_gid, host_uid_, host_gid_);
  if (!ns) return tl::unexpected(ns.error());
  // Not recursive: like the plain bind it replaces, submounts stay out of the container.
  auto tree = common::idmapped_clone(host_path, ns->get(), /*recursive=*/false);
  if (!tree) return tl::unexpected(tree.error());
  const std::filesystem::path at = dir_ / ("w" + std::to_string(attached_.size()));
  if (::mkdir(dir_.c_str(), 0711) != 0 && errno != EEXIST) return tl::unexpected(idmap_error("mkdir " + dir_.string(), errno, host_path));
  if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) return tl::unexpected(idmap_error("mkdir " + at.string(), errno, host_path));
  if (::move_mount(tree->get(), "", AT_FDCWD, at.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    const int e = errno;
    ::rmdir(at.c_str());
    return tl::unexpected(idmap_error("attaching the idmapped copy at " + at.string(), e, host_path));
  }
  attached_.push_back(at);
  return at;
}

void IdmappedMounts::release() noexcept {
  for (auto it = attached_.rbegin(); it != attached_.rend(); ++it) {
    (void)::umount2(it->c_str(), MNT_DETACH);
    (void)::rmdir(it->c_str());
  }
  attached_.clear();
  (void)::rmdir(dir_.c_str());
}

void detach_all_below(const std::filesystem::path& dir) noexcept {
  try {
    std::ifstream in("/proc/self/mountinfo");
    std::vector<std::string> points;
    std::string line;
    const std::string prefix = dir.string() + "/";
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string id, parent, devno, root, point;
      f >> id >> parent >> devno >> root >> point;
      if (point == dir.string() || point.rfind(prefix, 0) == 0) points.push_back(point);
    }
    // Deepest first.
    std::sort(points.begin(), points.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    for (const auto& p : points) (void)::umount2(p.c_str(), MNT_DETACH);
  } catch (...) {
  }
}

}  // namespace kavach::oci
