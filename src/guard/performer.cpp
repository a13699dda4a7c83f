#include "guard/performer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace kavach::guard {
namespace {

#ifndef SYS_fchmodat2
constexpr long kSysFchmodat2 = 452;
#else
constexpr long kSysFchmodat2 = SYS_fchmodat2;
#endif
#ifndef RENAME_EXCHANGE
constexpr unsigned RENAME_EXCHANGE = 1U << 1;
#endif
// The kernel's __O_TMPFILE bit alone (glibc's O_TMPFILE also carries O_DIRECTORY).
constexpr int kTmpfileBit = 020000000;
constexpr int kRetries = 8;  // re-resolutions when a name turned into a symlink meanwhile

long sys_seccomp(unsigned op, unsigned flags, void* arg) { return ::syscall(SYS_seccomp, op, flags, arg); }

// "Umask:" and "Tgid:" lines of /proc/<tid>/status.
bool status_field(pid_t tid, const char* key, std::string& out) {
  std::ifstream f("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  const std::size_t klen = std::strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, klen, key) == 0) {
      std::size_t i = klen;
      while (i < line.size() && (line[i] == '\t' || line[i] == ' ')) ++i;
      out = line.substr(i);
      return true;
    }
  }
  return false;
}

mode_t caller_umask(pid_t tid) {
  std::string v;
  if (!status_field(tid, "Umask:", v)) return 022;
  return static_cast<mode_t>(std::strtoul(v.c_str(), nullptr, 8)) & 0777;
}

// The umask is the process's, not the call's: the guard takes the caller's for one creation.
class UmaskScope {
 public:
  explicit UmaskScope(mode_t m) : old_(::umask(m)) {}
  ~UmaskScope() { ::umask(old_); }
  UmaskScope(const UmaskScope&) = delete;
  UmaskScope& operator=(const UmaskScope&) = delete;

 private:
  mode_t old_;
};

std::string location_of(const Resolved& r) {
  if (r.object) return fd_path(r.object.get());
  std::string dir = fd_path(r.parent.get());
  if (dir.empty()) return {};
  return (dir == "/" ? "" : dir) + "/" + r.name;
}

// The controlling terminal of the caller, found among its own descriptors (what /dev/tty means
// for it; the guard has none of its own).
int open_caller_tty(const Target& t, int flags) {
  std::ifstream f("/proc/" + std::to_string(t.tid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -EIO;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string state;
  long ppid = 0, pgrp = 0, session = 0, tty_nr = 0;
  rest >> state >> ppid >> pgrp >> session >> tty_nr;
  if (tty_nr == 0) return -ENXIO;
  const unsigned maj = (static_cast<unsigned long>(tty_nr) >> 8) & 0xfff;
  const unsigned min = (static_cast<unsigned long>(tty_nr) & 0xff) | ((static_cast<unsigned long>(tty_nr) >> 12) & 0xfff00);
  const dev_t want = makedev(maj, min);
  const std::string dir = "/proc/" + std::to_string(t.tid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -ENXIO;
  int result = -ENXIO;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string p = dir + "/" + e->d_name;
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != want) continue;
    const int fd = ::open(p.c_str(), (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
    result = fd >= 0 ? fd : -errno;
    break;
  }
  ::closedir(d);
  return result;
}

}  // namespace

struct Performer::Call {
  seccomp_notif* n = nullptr;
  Target target;
  bool answered = false;
};

Performer::Performer(int listener, PathRules rules) : listener_(listener), rules_(std::move(rules)) {
  seccomp_notif_sizes sizes{};
  if (sys_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    sizes.seccomp_notif = sizeof(seccomp_notif);
    sizes.seccomp_notif_resp = sizeof(seccomp_notif_resp);
  }
  notif_buf_.assign(std::max<std::size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)), 0);
  resp_buf_.assign(std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)), 0);
}

bool Performer::handle_one() {
  std::fill(notif_buf_.begin(), notif_buf_.end(), 0);
  auto* n = reinterpret_cast<seccomp_notif*>(notif_buf_.data());
  if (::ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, n) != 0) {
    // ENOENT: the caller was interrupted before we read it. Anything else: nothing left to serve.
    return errno == ENOENT || errno == EINTR;
  }
  Call c;
  c.n = n;
  c.target.tid = static_cast<pid_t>(n->pid);
  ++handled_;
  dispatch(c);
  if (!c.answered) reply(c, 0, EPERM);
  return true;
}

void Performer::reply(Call& c, std::int64_t value, int error) {
  std::fill(resp_buf_.begin(), resp_buf_.end(), 0);
  auto* r = reinterpret_cast<seccomp_notif_resp*>(resp_buf_.data());
  r->id = c.n->id;
  r->val = error == 0 ? value : 0;
  r->error = error == 0 ? 0 : -error;
  (void)::ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, r);  // ENOENT: the caller is gone
  c.answered = true;
}

void Performer::reply_fd(Call& c, int fd, bool cloexec) {
  seccomp_notif_addfd add{};
  add.id = c.n->id;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = static_cast<std::uint32_t>(fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  const int rc = ::ioctl(listener_, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  const int e = errno;
  ::close(fd);
  if (rc >= 0 || e == ENOENT) {
    c.answered = true;
    return;
  }
  reply(c, 0, e);  // EMFILE and friends: the caller sees why
}

bool Performer::read_path(Call& c, std::uint64_t addr, std::string& out) {
  if (addr == 0) {
    reply(c, 0, EFAULT);
    return false;
  }
  const std::string mem = "/proc/" + std::to_string(c.target.tid) + "/mem";
  Fd fd(::open(mem.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    reply(c, 0, EPERM);
    return false;
  }
  out.clear();
  char buf[256];
  std::uint64_t at = addr;
  while (out.size() <= PATH_MAX) {
    // Never read across a page boundary in one go: the next page may be unmapped.
    const std::uint64_t page_left = 4096 - (at & 4095);
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, page_left));
    const ssize_t n = ::pread(fd.get(), buf, want, static_cast<off_t>(at));
    if (n <= 0) {
      reply(c, 0, EFAULT);
      return false;
    }
    const void* nul = std::memchr(buf, '\0', static_cast<std::size_t>(n));
    if (nul != nullptr) {
      out.append(buf, static_cast<std::size_t>(static_cast<const char*>(nul) - buf));
      // The id is still valid: the memory read belongs to the caller that is waiting.
      std::uint64_t id = c.n->id;
      if (::ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) {
        c.answered = true;  // gone: nobody to answer
        return false;
      }
      return true;
    }
    out.append(buf, static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
  reply(c, 0, ENAMETOOLONG);
  return false;
}

bool Performer::refused_at(const std::string& location, bool creating_non_dir) {
  if (location.empty() || location.front() != '/') return false;  // pipes, sockets, anon inodes
  const Verdict v = rules_.classify(location);
  const bool refuse = v == Verdict::protected_ || (creating_non_dir && v == Verdict::ancestor);
  if (refuse) ++refused_;
  return refuse;
}

void Performer::dispatch(Call& c) {
  const auto& a = c.n->data.args;
  auto fd_arg = [](std::uint64_t v) { return static_cast<int>(static_cast<std::uint32_t>(v)); };
  switch (c.n->data.nr) {
#ifdef SYS_open
    case SYS_open: return do_open(c, AT_FDCWD, a[0], fd_arg(a[1]), static_cast<unsigned>(a[2]));
    case SYS_creat: return do_open(c, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, static_cast<unsigned>(a[1]));
    case SYS_mkdir: return do_mkdir(c, AT_FDCWD, a[0], static_cast<unsigned>(a[1]));
    case SYS_mknod: return do_mknod(c, AT_FDCWD, a[0], static_cast<unsigned>(a[1]), static_cast<unsigned>(a[2]));
    case SYS_symlink: return do_symlink(c, a[0], AT_FDCWD, a[1]);
    case SYS_link: return do_link(c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SYS_rename: return do_rename(c, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
    case SYS_chmod: return do_chmod(c, AT_FDCWD, a[0], static_cast<unsigned>(a[1]), 0);
#endif
    case SYS_openat: return do_open(c, fd_arg(a[0]), a[1], fd_arg(a[2]), static_cast<unsigned>(a[3]));
    case SYS_mkdirat: return do_mkdir(c, fd_arg(a[0]), a[1], static_cast<unsigned>(a[2]));
    case SYS_mknodat:
      return do_mknod(c, fd_arg(a[0]), a[1], static_cast<unsigned>(a[2]), static_cast<unsigned>(a[3]));
    case SYS_symlinkat: return do_symlink(c, a[0], fd_arg(a[1]), a[2]);
    case SYS_linkat: return do_link(c, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], fd_arg(a[4]));
#ifdef SYS_renameat
    case SYS_renameat: return do_rename(c, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], 0);
#endif
    case SYS_renameat2:
      return do_rename(c, fd_arg(a[0]), a[1], fd_arg(a[2]), a[3], static_cast<unsigned>(a[4]));
    case SYS_fchmodat: return do_chmod(c, fd_arg(a[0]), a[1], static_cast<unsigned>(a[2]), 0);
    case kSysFchmodat2:
      return do_chmod(c, fd_arg(a[0]), a[1], static_cast<unsigned>(a[2]), fd_arg(a[3]));
    case SYS_fchmod: return do_fchmod(c, fd_arg(a[0]), static_cast<unsigned>(a[1]));
    case SYS_truncate: return do_truncate(c, a[0], static_cast<std::int64_t>(a[1]));
    default:
      reply(c, 0, EPERM);  // the trap filter and this table disagree: fail closed
  }
}

void Performer::open_existing(Call& c, Resolved& r, int flags) {
  struct stat st {};
  if (::fstat(r.object.get(), &st) != 0) return reply(c, 0, errno);
  const int acc = flags & O_ACCMODE;
  const bool writes = acc != O_RDONLY || (flags & (O_TRUNC | O_CREAT)) != 0;
  if (r.must_be_dir && !S_ISDIR(st.st_mode)) return reply(c, 0, ENOTDIR);
  if (writes && refused_at(location_of(r), !S_ISDIR(st.st_mode))) return reply(c, 0, EACCES);
  const int reopen_flags = (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC;
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0)) {
    const int fd = open_caller_tty(c.target, flags);
    if (fd < 0) return reply(c, 0, -fd);
    return reply_fd(c, fd, (flags & O_CLOEXEC) != 0);
  }
  const std::string self = self_fd_path(r.object.get());
  if (S_ISFIFO(st.st_mode) && acc == O_WRONLY && (flags & O_NONBLOCK) == 0) {
    // Opening a FIFO for writing waits for a reader: wait in a thread of its own so every other
    // caller is served meanwhile. The reply needs only the listener and the id.
    const int listener = listener_;
    const std::uint64_t id = c.n->id;
    Fd held(::open(self.c_str(), O_PATH | O_CLOEXEC));
    const int holder = held.release();
    std::thread([listener, id, holder, reopen_flags, flags] {
      const std::string path = self_fd_path(holder);
      const int fd = ::open(path.c_str(), reopen_flags);
      const int e = errno;
      ::close(holder);
      if (fd >= 0) {
        seccomp_notif_addfd add{};
        add.id = id;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = static_cast<std::uint32_t>(fd);
        add.newfd_flags = (flags & O_CLOEXEC) != 0 ? O_CLOEXEC : 0;
        (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        ::close(fd);
        return;
      }
      seccomp_notif_resp resp{};
      resp.id = id;
      resp.error = -e;
      (void)::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }).detach();
    c.answered = true;
    return;
  }
  const int fd = ::open(self.c_str(), reopen_flags);
  if (fd < 0) return reply(c, 0, errno);
  reply_fd(c, fd, (flags & O_CLOEXEC) != 0);
}

void Performer::do_open(Call& c, int dirfd, std::uint64_t path_addr, int flags, unsigned mode) {
  std::string path;
  if (!read_path(c, path_addr, path)) return;
  const bool create = (flags & O_CREAT) != 0;
  const bool excl = create && (flags & O_EXCL) != 0;
  const bool tmpfile = (flags & kTmpfileBit) != 0;
  const bool follow = (flags & O_NOFOLLOW) == 0 && !excl;
  for (int attempt = 0; attempt < kRetries; ++attempt) {
    Resolved r;
    if (const int e = resolve(c.target, dirfd, path, follow, r); e != 0) return reply(c, 0, e);
    if ((flags & O_PATH) != 0) {
      if (!r.object) return reply(c, 0, ENOENT);
      const int fd = ::fcntl(r.object.get(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return reply(c, 0, errno);
      return reply_fd(c, fd, (flags & O_CLOEXEC) != 0);
    }
    if (r.object) {
      if (excl) return reply(c, 0, EEXIST);
      if (r.is_symlink) return reply(c, 0, ELOOP);
      if (tmpfile) {
        // An unnamed file in that directory: nothing is named, so nothing to check until a
        // link gives it a name (linkat is trapped too).
        UmaskScope um(caller_umask(c.target.tid));
        const int fd = ::open(self_fd_path(r.object.get()).c_str(), (flags & ~O_NOFOLLOW) | O_CLOEXEC, mode);
        if (fd < 0) return reply(c, 0, errno);
        return reply_fd(c, fd, (flags & O_CLOEXEC) != 0);
      }
      return open_existing(c, r, flags);
    }
    if (!create) return reply(c, 0, ENOENT);
    if (r.must_be_dir || !r.parent) return reply(c, 0, EISDIR);
    if (refused_at(location_of(r), true)) return reply(c, 0, EACCES);
    int fd;
    {
      UmaskScope um(caller_umask(c.target.tid));
      fd = ::openat(r.parent.get(), r.name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    if (fd < 0 && errno == ELOOP && (flags & O_NOFOLLOW) == 0) continue;  // became a symlink
    if (fd < 0) return reply(c, 0, errno);
    return reply_fd(c, fd, (flags & O_CLOEXEC) != 0);
  }
  reply(c, 0, ELOOP);
}

void Performer::do_mkdir(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode) {
  std::string path;
  if (!read_path(c, path_addr, path)) return;
  Resolved r;
  if (const int e = resolve(c.target, dirfd, path, false, r); e != 0) return reply(c, 0, e);
  if (r.object || !r.parent) return reply(c, 0, EEXIST);
  if (refused_at(location_of(r), false)) return reply(c, 0, EACCES);
  UmaskScope um(caller_umask(c.target.tid));
  if (::mkdirat(r.parent.get(), r.name.c_str(), mode) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

void Performer::do_mknod(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode, unsigned dev) {
  std::string path;
  if (!read_path(c, path_addr, path)) return;
  Resolved r;
  if (const int e = resolve(c.target, dirfd, path, false, r); e != 0) return reply(c, 0, e);
  if (r.object || !r.parent) return reply(c, 0, EEXIST);
  if (refused_at(location_of(r), true)) return reply(c, 0, EACCES);
  UmaskScope um(caller_umask(c.target.tid));
  // The guard runs under the same policy filter as the command: its host-safety rules refuse
  // set-id and device modes here exactly as they would for the command.
  if (::mknodat(r.parent.get(), r.name.c_str(), mode, dev) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

void Performer::do_symlink(Call& c, std::uint64_t text_addr, int dirfd, std::uint64_t path_addr) {
  std::string text;
  std::string path;
  if (!read_path(c, text_addr, text) || !read_path(c, path_addr, path)) return;
  if (text.empty()) return reply(c, 0, ENOENT);
  Resolved r;
  if (const int e = resolve(c.target, dirfd, path, false, r); e != 0) return reply(c, 0, e);
  if (r.object || !r.parent) return reply(c, 0, EEXIST);
  if (r.must_be_dir) return reply(c, 0, ENOENT);
  if (refused_at(location_of(r), true)) return reply(c, 0, EACCES);
  if (::symlinkat(text.c_str(), r.parent.get(), r.name.c_str()) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

void Performer::do_link(Call& c, int olddirfd, std::uint64_t oldpath, int newdirfd,
                        std::uint64_t newpath, int flags) {
  std::string from;
  std::string to;
  if (!read_path(c, oldpath, from) || !read_path(c, newpath, to)) return;
  Fd source;
  if (from.empty() && (flags & AT_EMPTY_PATH) != 0) {
    if (olddirfd == AT_FDCWD) return reply(c, 0, EPERM);
    if (const int e = open_caller_fd(c.target, olddirfd, source); e != 0) return reply(c, 0, e);
  } else {
    Resolved o;
    if (const int e = resolve(c.target, olddirfd, from, (flags & AT_SYMLINK_FOLLOW) != 0, o); e != 0) {
      return reply(c, 0, e);
    }
    if (!o.object) return reply(c, 0, ENOENT);
    source = std::move(o.object);
  }
  struct stat st {};
  if (::fstat(source.get(), &st) != 0) return reply(c, 0, errno);
  if (S_ISDIR(st.st_mode)) return reply(c, 0, EPERM);
  // A second name for a protected file would be a writable way around its protection.
  if (refused_at(fd_path(source.get()), true)) return reply(c, 0, EACCES);
  Resolved n;
  if (const int e = resolve(c.target, newdirfd, to, false, n); e != 0) return reply(c, 0, e);
  if (n.object || !n.parent) return reply(c, 0, EEXIST);
  if (refused_at(location_of(n), true)) return reply(c, 0, EACCES);
  if (::linkat(AT_FDCWD, self_fd_path(source.get()).c_str(), n.parent.get(), n.name.c_str(),
               AT_SYMLINK_FOLLOW) != 0) {
    return reply(c, 0, errno);
  }
  reply(c, 0, 0);
}

void Performer::do_rename(Call& c, int olddirfd, std::uint64_t oldpath, int newdirfd,
                          std::uint64_t newpath, unsigned flags) {
  std::string from;
  std::string to;
  if (!read_path(c, oldpath, from) || !read_path(c, newpath, to)) return;
  Resolved o;
  if (const int e = resolve(c.target, olddirfd, from, false, o); e != 0) return reply(c, 0, e);
  if (!o.object) return reply(c, 0, ENOENT);
  if (!o.parent) return reply(c, 0, EBUSY);
  Resolved n;
  if (const int e = resolve(c.target, newdirfd, to, false, n); e != 0) return reply(c, 0, e);
  if (!n.parent) return reply(c, 0, EBUSY);
  // Whatever lands at the new name — a file, a link or a whole tree — must not land on a
  // protected path or its ancestors (`mv planted .git`). An exchange moves both ways.
  if (refused_at(location_of(n), true)) return reply(c, 0, EACCES);
  if ((flags & RENAME_EXCHANGE) != 0 && refused_at(location_of(o), true)) return reply(c, 0, EACCES);
  if (::syscall(SYS_renameat2, o.parent.get(), o.name.c_str(), n.parent.get(), n.name.c_str(), flags) != 0) {
    return reply(c, 0, errno);
  }
  reply(c, 0, 0);
}

void Performer::do_chmod(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode, int flags) {
  std::string path;
  if (!read_path(c, path_addr, path)) return;
  if (path.empty() && (flags & AT_EMPTY_PATH) != 0) return do_fchmod(c, dirfd, mode);
  Resolved r;
  if (const int e = resolve(c.target, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) == 0, r); e != 0) {
    return reply(c, 0, e);
  }
  if (!r.object) return reply(c, 0, ENOENT);
  if (r.is_symlink) return reply(c, 0, EOPNOTSUPP);
  if (refused_at(location_of(r), false)) return reply(c, 0, EACCES);
  if (::fchmodat(AT_FDCWD, self_fd_path(r.object.get()).c_str(), mode, 0) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

void Performer::do_fchmod(Call& c, int fd, unsigned mode) {
  Fd obj;
  if (const int e = open_caller_fd(c.target, fd, obj); e != 0) return reply(c, 0, e);
  if (refused_at(fd_path(obj.get()), false)) return reply(c, 0, EACCES);
  if (::fchmodat(AT_FDCWD, self_fd_path(obj.get()).c_str(), mode, 0) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

void Performer::do_truncate(Call& c, std::uint64_t path_addr, std::int64_t length) {
  std::string path;
  if (!read_path(c, path_addr, path)) return;
  Resolved r;
  if (const int e = resolve(c.target, AT_FDCWD, path, true, r); e != 0) return reply(c, 0, e);
  if (!r.object) return reply(c, 0, ENOENT);
  if (refused_at(location_of(r), false)) return reply(c, 0, EACCES);
  if (::truncate(self_fd_path(r.object.get()).c_str(), length) != 0) return reply(c, 0, errno);
  reply(c, 0, 0);
}

}  // namespace kavach::guard
