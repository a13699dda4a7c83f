#include "backends/process/idmap.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace kavach::process {
namespace {

int write_text(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int e = n < 0 ? errno : 0;
  ::close(fd);
  return e;
}

}  // namespace

Result<int> IdmapCache::userns_for(uid_t owner_uid, gid_t owner_gid) {
  std::lock_guard lock(mu_);
  const auto key = std::make_pair(owner_uid, owner_gid);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second.get();

  // A placeholder process owns the new user namespace just long enough to write its maps and
  // open /proc/<pid>/ns/user; the namespace then lives on through that fd.
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) {
    return fail(ErrorCode::setup_failed, std::string("pipe: ") + std::strerror(errno), {{"stage", "idmap"}});
  }
  common::UniqueFd hold_r(hold[0]);
  common::UniqueFd hold_w(hold[1]);
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // exit signal 0: no SIGCHLD reaches the embedding program; reaped below with __WALL.
  const long pid = ::syscall(SYS_clone, CLONE_NEWUSER, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    // ASYNC-SIGNAL-SAFE: wait for EOF, then leave.
    // Drop every inherited descriptor (other threads' pipes) except the one we wait on.
    char c;
    const auto keep = static_cast<unsigned>(hold[0]);
    if (keep > 0) ::syscall(SYS_close_range, 0U, keep - 1, 0U);
    ::syscall(SYS_close_range, keep + 1, ~0U, 0U);
    while (::read(hold[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    return fail(ErrorCode::setup_failed,
                std::string("cannot create the idmap user namespace: ") + std::strerror(clone_errno),
                {{"stage", "idmap"}});
  }
  hold_r.reset();
  const std::string proc = "/proc/" + std::to_string(pid);
  int e = write_text(proc + "/uid_map", std::to_string(owner_uid) + " " + std::to_string(host_uid_) + " 1\n");
  if (e == 0) {
    e = write_text(proc + "/gid_map", std::to_string(owner_gid) + " " + std::to_string(host_gid_) + " 1\n");
  }
  common::UniqueFd ns(e == 0 ? ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC) : -1);
  if (e == 0 && !ns) e = errno;
  hold_w.reset();
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | __WALL) < 0 && errno == EINTR) {
  }
  if (e != 0) {
    return fail(ErrorCode::setup_failed,
                std::string("cannot map ids of the idmap user namespace: ") + std::strerror(e),
                {{"stage", "idmap"}});
  }
  const int fd = ns.get();
  cache_.emplace(key, std::move(ns));
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
  common::UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, host_path.c_str(),
                                                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
  if (!tree) {
    return fail(ErrorCode::setup_failed,
                "open_tree('" + host_path.string() + "'): " + std::strerror(errno),
                {{"path", host_path.string()}, {"stage", "idmap"}});
  }
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<std::uint64_t>(*userns);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return fail(ErrorCode::setup_failed,
                "idmapped mount of '" + host_path.string() + "' not supported here: " + std::strerror(errno),
                {{"path", host_path.string()}, {"stage", "idmap"}});
  }
  return tree;
}

}  // namespace kavach::process
