#include "backends/oci/idmap.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "backends/common/unique_fd.hpp"

namespace kavach::oci {
namespace {

using common::UniqueFd;

int write_file(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  return ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : errno;
}

Error idmap_error(const std::string& what, int e, const std::filesystem::path& p) {
  return make_error(ErrorCode::setup_failed, what + ": " + std::strerror(e),
                    {{"path", p.string()}, {"stage", "idmap"}});
}

// A user namespace whose only mapping is owner -> target (uid and gid), held by an fd. A
// child created with CLONE_NEWUSER owns it just long enough for us to write the maps and open it.
Result<UniqueFd> mapping_userns(uid_t owner_uid, gid_t owner_gid, uid_t uid, gid_t gid,
                                const std::filesystem::path& for_path) {
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) return tl::unexpected(idmap_error("pipe2", errno, for_path));
  UniqueFd hold_r(hold[0]);
  UniqueFd hold_w(hold[1]);
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // No exit signal: the embedding program sees no SIGCHLD; reaped below with __WALL.
  const long pid = ::syscall(SYS_clone, CLONE_NEWUSER, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    // Child, ASYNC-SIGNAL-SAFE only: drop our copy of the write end (else EOF never comes),
    // block until the parent closes its copy, then exit.
    ::close(hold[1]);
    char c;
    while (::read(hold[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return tl::unexpected(idmap_error("clone(CLONE_NEWUSER)", clone_errno, for_path));
  hold_r.reset();
  const std::string proc = "/proc/" + std::to_string(pid);
  int e = write_file(proc + "/uid_map", std::to_string(owner_uid) + " " + std::to_string(uid) + " 1\n");
  if (e == 0) e = write_file(proc + "/gid_map", std::to_string(owner_gid) + " " + std::to_string(gid) + " 1\n");
  UniqueFd ns(e == 0 ? ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC) : -1);
  if (e == 0 && !ns) e = errno;
  hold_w.reset();
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | __WALL) < 0 && errno == EINTR) {
  }
  if (e != 0) return tl::unexpected(idmap_error("writing the idmap user namespace's maps", e, for_path));
  return ns;
}

}  // namespace

Result<std::filesystem::path> IdmappedMounts::attach(const std::filesystem::path& host_path) {
  struct stat st {};
  if (::stat(host_path.c_str(), &st) != 0) return tl::unexpected(idmap_error("stat " + host_path.string(), errno, host_path));
  auto ns = mapping_userns(st.st_uid, st.st_gid, host_uid_, host_gid_, host_path);
  if (!ns) return tl::unexpected(ns.error());
  // Not recursive: like the plain bind it replaces, submounts stay out of the container.
  UniqueFd tree(::open_tree(AT_FDCWD, host_path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) return tl::unexpected(idmap_error("open_tree " + host_path.string(), errno, host_path));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<std::uint64_t>(ns->get());
  if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    return tl::unexpected(idmap_error("idmapped mount of " + host_path.string() + " not supported here", errno, host_path));
  }
  const std::filesystem::path at = dir_ / ("w" + std::to_string(attached_.size()));
  if (::mkdir(dir_.c_str(), 0711) != 0 && errno != EEXIST) return tl::unexpected(idmap_error("mkdir " + dir_.string(), errno, host_path));
  if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) return tl::unexpected(idmap_error("mkdir " + at.string(), errno, host_path));
  if (::move_mount(tree.get(), "", AT_FDCWD, at.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
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
