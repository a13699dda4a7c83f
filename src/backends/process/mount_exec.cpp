// Executes the mount plan inside the child. ASYNC-SIGNAL-SAFE: raw syscalls on prepared strings.
#include "backends/process/mount_exec.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kavach::process {
namespace {

// Mount flags that a bind remount must repeat (the kernel refuses to clear locked ones).
constexpr unsigned long kPreservedFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                          MS_NOATIME | MS_NODIRATIME | MS_RELATIME;

unsigned long attrs_to_ms(std::uint64_t attrs) {
  unsigned long f = 0;
  if ((attrs & MOUNT_ATTR_RDONLY) != 0) f |= MS_RDONLY;
  if ((attrs & MOUNT_ATTR_NOSUID) != 0) f |= MS_NOSUID;
  if ((attrs & MOUNT_ATTR_NODEV) != 0) f |= MS_NODEV;
  if ((attrs & MOUNT_ATTR_NOEXEC) != 0) f |= MS_NOEXEC;
  return f;
}

// mount_setattr (5.12+) only adds flags and can recurse; older kernels get a bind remount of
// the top mount that repeats the flags it already has.
int set_attrs(const char* target, std::uint64_t attrs, bool recursive) noexcept {
  mount_attr attr{};
  attr.attr_set = attrs;
  const unsigned flags = static_cast<unsigned>(AT_SYMLINK_NOFOLLOW) | (recursive ? static_cast<unsigned>(AT_RECURSIVE) : 0u);
  if (::syscall(SYS_mount_setattr, AT_FDCWD, target, flags, &attr, sizeof attr) == 0) return 0;
  if (errno != ENOSYS) return errno;
  struct statfs st {};
  if (::statfs(target, &st) != 0) return errno;
  const unsigned long keep = static_cast<unsigned long>(st.f_flags) & kPreservedFlags;
  if (::mount(nullptr, target, nullptr, MS_REMOUNT | MS_BIND | keep | attrs_to_ms(attrs), nullptr) != 0) {
    return errno;
  }
  return 0;
}

int write_all(int fd, const char* data, std::size_t len) noexcept {
  while (len > 0) {
    const ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

int run_op(const MountOp& op) noexcept {
  switch (op.kind) {
    case MountKind::mkdir:
      if (::mkdir(op.target, op.mode) == 0 || errno == EEXIST) return 0;
      // A read-only bind may already contain the directory: that is fine too.
      if (errno == EROFS || errno == EACCES || errno == EPERM) {
        struct stat st {};
        if (::stat(op.target, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
      }
      return errno;
    case MountKind::touch: {
      const int fd = ::open(op.target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, op.mode);
      if (fd >= 0) {
        ::close(fd);
        return 0;
      }
      struct stat st {};
      if (::lstat(op.target, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) return 0;
      return errno;
    }
    case MountKind::symlink:
      return ::symlink(op.source, op.target) == 0 ? 0 : errno;
    case MountKind::bind: {
      const unsigned long flags = static_cast<unsigned long>(MS_BIND) | (op.recursive ? static_cast<unsigned long>(MS_REC) : 0ul);
      if (::mount(op.source, op.target, nullptr, flags, nullptr) != 0) return errno;
      return op.attrs != 0 ? set_attrs(op.target, op.attrs, op.recursive) : 0;
    }
    case MountKind::tmpfs:
      return ::mount("tmpfs", op.target, "tmpfs", op.flags, op.source) == 0 ? 0 : errno;
    case MountKind::proc:
      return ::mount("proc", op.target, "proc", op.flags, nullptr) == 0 ? 0 : errno;
    case MountKind::devpts:
      return ::mount("devpts", op.target, "devpts", op.flags, op.source) == 0 ? 0 : errno;
    case MountKind::move_mount:
      if (::syscall(SYS_move_mount, op.fd, "", AT_FDCWD, op.target, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
        return errno;
      }
      ::close(op.fd);
      return 0;
    case MountKind::write_file: {
      const int fd = ::open(op.target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, op.mode);
      if (fd < 0) return errno;
      const int e = write_all(fd, op.source, op.length);
      ::close(fd);
      return e;
    }
    case MountKind::set_attrs:
      return set_attrs(op.target, op.attrs, op.recursive);
  }
  return EINVAL;
}

}  // namespace

int build_root(const ChildPlan& p, int* failed_op) noexcept {
  *failed_op = -1;
  // Nothing we mount may propagate back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
  // Scratch root (bubblewrap's trick): pivot into a small tmpfs mounted on base_dir so every
  // host path stays reachable under /oldroot while /newroot is assembled.
  if (::mount("tmpfs", p.base_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") != 0) {
    return errno;
  }
  if (::chdir(p.base_dir) != 0) return errno;
  if (::mkdir("newroot", 0755) != 0 || ::mkdir("oldroot", 0755) != 0) return errno;
  if (::syscall(SYS_pivot_root, ".", "oldroot") != 0) return errno;
  if (::chdir("/") != 0) return errno;

  for (std::size_t i = 0; i < p.mount_count; ++i) {
    const MountOp& op = p.mounts[i];
    const int e = run_op(op);
    if (e == 0) continue;
    if (e == ENOENT && op.optional) continue;
    *failed_op = static_cast<int>(i);
    return e;
  }

  // Into the new root; the old one (scratch tmpfs with the host tree below it) is detached.
  if (::chdir("/newroot") != 0) return errno;
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
  if (::umount2(".", MNT_DETACH) != 0) return errno;
  if (::chdir("/") != 0) return errno;
  return 0;
}

}  // namespace kavach::process
