// Path resolution on behalf of a trapped process: where would `path`, relative to its `dirfd`,
// lead for it? The guard walks the path itself, one component at a time, with its own O_PATH
// descriptors, and keeps them: the operation it then performs acts on exactly what it checked
// (the trapped process can rewrite its path string or swap symlinks meanwhile; that changes
// nothing here). Ordinary symlinks are followed by reading them; procfs links by the kernel,
// after /proc/self and /proc/thread-self were pointed at the trapped process instead of the
// guard (so /dev/stdout means the caller's stdout).
#pragma once

#include <sys/types.h>

#include <string>

namespace kavach::guard {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

// The process a path is resolved for: its thread id (as the notification names it) and the
// thread group (for /proc/self).
struct Target {
  pid_t tid = 0;
  pid_t tgid = 0;
};

struct Resolved {
  Fd parent;          // O_PATH directory holding `name` (invalid when the path ends in . or ..)
  std::string name;   // the last component
  Fd object;          // O_PATH descriptor of what the path names, when it exists
  bool is_symlink = false;  // `object` is a symlink that was not followed
  bool must_be_dir = false; // the path ended in a slash
};

// Resolve for `target`: dirfd is the caller's (AT_FDCWD for its cwd). follow_last: follow a
// symlink in the last component. Returns 0 or an errno (ENOENT for a missing directory on the
// way; a missing last component is not an error: object stays invalid).
[[nodiscard]] int resolve(const Target& target, int dirfd, const std::string& path,
                          bool follow_last, Resolved& out);

// A descriptor of the caller's: /proc/<tid>/fd/<fd> opened O_PATH (the kernel's own jump).
[[nodiscard]] int open_caller_fd(const Target& target, int fd, Fd& out);

// The path a descriptor stands for, as readlink of /proc/self/fd/N reports it.
[[nodiscard]] std::string fd_path(int fd);

// "/proc/self/fd/N": reopen, chmod or link exactly the object behind an O_PATH descriptor.
[[nodiscard]] std::string self_fd_path(int fd);

}  // namespace kavach::guard
