#include "backends/common/idmap_userns.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <string>

namespace kavach::common {
namespace {

int write_text(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  const ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n < 0) return errno;
  return n == static_cast<ssize_t>(text.size()) ? 0 : EIO;
}

Error idmap_error(const std::string& what, int e, const std::filesystem::path* p = nullptr) {
  std::map<std::string, std::string> ctx{{"stage", "idmap"}};
  if (p != nullptr) ctx["path"] = p->string();
  return make_error(ErrorCode::setup_failed, what + ": " + std::strerror(e), std::move(ctx));
}

}  // namespace

Result<UniqueFd> make_idmap_userns(uid_t owner_uid, gid_t owner_gid, uid_t target_uid, gid_t target_gid) {
  // A holder process owns the new user namespace just long enough to write its maps and
  // open /proc/<pid>/ns/user; the namespace then lives on through that fd.
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) return tl::unexpected(idmap_error("pipe2", errno));
  UniqueFd hold_r(hold[0]);
  UniqueFd hold_w(hold[1]);
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // Exit signal 0: no SIGCHLD reaches the embedding program; reaped below with __WALL.
  const long pid = ::syscall(SYS_clone, CLONE_NEWUSER, nullptr, nullptr, nullptr, 0);
  if (pid == 0) {
    // Child, ASYNC-SIGNAL-SAFE only: drop every inherited descriptor (other threads' pipes, our
    // copy of the write end) except the one we wait on, block until EOF, then leave.
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
  if (pid < 0) return tl::unexpected(idmap_error("cannot create the idmap user namespace", clone_errno));
  hold_r.reset();
  const std::string proc = "/proc/" + std::to_string(pid);
  int e = write_text(proc + "/uid_map", std::to_string(owner_uid) + " " + std::to_string(target_uid) + " 1\n");
  if (e == 0) {
    e = write_text(proc + "/gid_map", std::to_string(owner_gid) + " " + std::to_string(target_gid) + " 1\n");
  }
  UniqueFd ns(e == 0 ? ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC) : -1);
  if (e == 0 && !ns) e = errno;
  hold_w.reset();
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | __WALL) < 0 && errno == EINTR) {
  }
  if (e != 0) return tl::unexpected(idmap_error("cannot map ids of the idmap user namespace", e));
  return ns;
}

Result<UniqueFd> idmapped_clone(const std::filesystem::path& host_path, int userns_fd, bool recursive) {
  const unsigned rec = recursive ? AT_RECURSIVE : 0U;
  UniqueFd tree(static_cast<int>(
      ::syscall(SYS_open_tree, AT_FDCWD, host_path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec)));
  if (!tree) return tl::unexpected(idmap_error("open_tree('" + host_path.string() + "')", errno, &host_path));
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  attr.userns_fd = static_cast<std::uint64_t>(userns_fd);
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | rec, &attr, sizeof attr) != 0) {
    return tl::unexpected(
        idmap_error("idmapped mount of '" + host_path.string() + "' not supported here", errno, &host_path));
  }
  return tree;
}

}  // namespace kavach::common
