#include "guard/resolve.hpp"

#include "guard/path_rules.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <climits>
#include <deque>
#include <string_view>
#include <vector>

namespace kavach::guard {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's MAXSYMLINKS
constexpr ino_t kProcRootIno = 1;

bool on_procfs(int fd, bool* is_root = nullptr) {
  struct statfs sfs {};
  if (::fstatfs(fd, &sfs) != 0 || sfs.f_type != PROC_SUPER_MAGIC) return false;
  if (is_root != nullptr) {
    struct stat st {};
    *is_root = ::fstat(fd, &st) == 0 && st.st_ino == kProcRootIno;
  }
  return true;
}

// Components in order; "." dropped except as the very last one (it names the directory itself).
void push_front_components(std::deque<std::string>& q, std::string_view path) {
  std::vector<std::string> parts = path_components(path);
  const bool ends_everything = q.empty();
  for (std::size_t k = parts.size(); k-- > 0;) {
    if (parts[k] == "." && !(ends_everything && k + 1 == parts.size())) continue;
    q.push_front(std::move(parts[k]));
  }
}

pid_t thread_group_of(pid_t tid) {
  const std::string status = "/proc/" + std::to_string(tid) + "/status";
  FILE* f = std::fopen(status.c_str(), "re");
  if (f == nullptr) return tid;
  char line[256];
  pid_t tgid = tid;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "Tgid:", 5) == 0) {
      tgid = static_cast<pid_t>(std::strtol(line + 5, nullptr, 10));
      break;
    }
  }
  std::fclose(f);
  return tgid;
}

int open_path(int dirfd, const char* name, int extra = 0) {
  return ::openat(dirfd, name, O_PATH | O_CLOEXEC | extra);
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

int open_caller_fd(const Target& t, int fd, Fd& out) {
  const std::string p = "/proc/" + std::to_string(t.tid) + "/fd/" + std::to_string(fd);
  Fd f(::open(p.c_str(), O_PATH | O_CLOEXEC));
  if (!f) return errno == ENOENT ? EBADF : errno;
  out = std::move(f);
  return 0;
}

std::string fd_path(int fd) {
  char buf[PATH_MAX + 1];
  const std::string link = self_fd_path(fd);
  const ssize_t n = ::readlink(link.c_str(), buf, PATH_MAX);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string self_fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int resolve(const Target& t, int dirfd, const std::string& path, bool follow_last, Resolved& out) {
  if (path.empty()) return ENOENT;
  if (path.size() >= PATH_MAX) return ENAMETOOLONG;
  Fd cur;
  if (path.front() == '/') {
    cur = Fd(open_path(AT_FDCWD, "/", O_DIRECTORY));
  } else if (dirfd == AT_FDCWD) {
    const std::string cwd = "/proc/" + std::to_string(t.tid) + "/cwd";
    cur = Fd(open_path(AT_FDCWD, cwd.c_str()));
  } else if (const int e = open_caller_fd(t, dirfd, cur); e != 0) {
    return e;
  }
  if (!cur) return errno;

  std::deque<std::string> q;
  push_front_components(q, path);
  out.must_be_dir = path.back() == '/';
  int links = 0;
  while (!q.empty()) {
    std::string c = std::move(q.front());
    q.pop_front();
    const bool last = q.empty();
    if (c == "." || c == "..") {
      if (c == "..") {
        Fd up(open_path(cur.get(), "..", O_DIRECTORY));
        if (!up) return errno;
        cur = std::move(up);
      }
      if (last) break;
      continue;
    }
    if (c.size() > NAME_MAX) return ENAMETOOLONG;
    struct stat st {};
    if (::fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      const int e = errno;
      if (e == ENOENT && last) {
        out.parent = std::move(cur);
        out.name = std::move(c);
        return 0;
      }
      return e;
    }
    const bool follow = !last || follow_last || out.must_be_dir;
    if (S_ISLNK(st.st_mode) && follow) {
      if (++links > kMaxLinks) return ELOOP;
      bool proc_root = false;
      if (on_procfs(cur.get(), &proc_root)) {
        // /proc/self and /proc/thread-self name the reader: make them name the caller.
        if (proc_root && (c == "self" || c == "thread-self")) {
          if (c == "thread-self") {
            q.push_front(std::to_string(t.tid));
            q.push_front("task");
          }
          q.push_front(std::to_string(t.tgid != 0 ? t.tgid : thread_group_of(t.tid)));
          continue;
        }
        // Other procfs links (fd/N, cwd, root, exe) are jumps only the kernel can make.
        Fd next(open_path(cur.get(), c.c_str()));
        if (!next) return errno;
        if (last) {
          out.object = std::move(next);
          out.name = std::move(c);
          return 0;
        }
        cur = std::move(next);
        continue;
      }
      char buf[PATH_MAX + 1];
      const ssize_t n = ::readlinkat(cur.get(), c.c_str(), buf, PATH_MAX);
      if (n < 0) return errno;
      if (n == 0) return ENOENT;
      const std::string_view text(buf, static_cast<std::size_t>(n));
      push_front_components(q, text);
      if (text.front() == '/') {
        cur = Fd(open_path(AT_FDCWD, "/", O_DIRECTORY));
        if (!cur) return errno;
      }
      if (q.empty()) break;  // the link pointed at "/" or "."
      continue;
    }
    if (last) {
      out.object = Fd(open_path(cur.get(), c.c_str(), O_NOFOLLOW));
      if (!out.object) {
        const int e = errno;
        if (e != ENOENT) return e;  // raced away: treat as missing
      }
      out.is_symlink = S_ISLNK(st.st_mode);
      out.parent = std::move(cur);
      out.name = std::move(c);
      return 0;
    }
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    Fd next(open_path(cur.get(), c.c_str(), O_NOFOLLOW | O_DIRECTORY));
    if (!next) return errno;
    cur = std::move(next);
  }
  // The path named a directory reached through ".", ".." or a link to "/".
  out.object = std::move(cur);
  out.name = ".";
  return 0;
}

}  // namespace kavach::guard
