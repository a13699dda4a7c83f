// The guard's half of seccomp user notification: the sandboxed command's path-creating and
// path-writing calls (open for writing, mkdir, mknod, symlink, link, rename, chmod, truncate) stop
// in the kernel and arrive here. The performer resolves the paths itself (resolve.hpp), refuses
// what would create or change a protected path (path_rules.hpp) with EACCES, and otherwise
// performs the call itself — with the same identity, mounts and Landlock domain as the command,
// because the guard runs inside the same sandbox — and hands back the result (a new descriptor
// via SECCOMP_IOCTL_NOTIF_ADDFD). Nothing is ever let through for the kernel to re-read: a
// checked path string could have changed by then (the classic user-notification TOCTOU).
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "guard/path_rules.hpp"
#include "guard/resolve.hpp"

namespace kavach::guard {

class Performer {
 public:
  Performer(int listener, PathRules rules);

  // Receive and answer one notification. False when the listener is gone (no filtered process
  // is left) or broken.
  bool handle_one();

  // Counters for the guard's own summary.
  std::uint64_t handled() const { return handled_; }
  std::uint64_t refused() const { return refused_; }

 private:
  struct Call;
  void dispatch(Call& c);
  void do_open(Call& c, int dirfd, std::uint64_t path_addr, int flags, unsigned mode);
  void do_mkdir(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode);
  void do_mknod(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode, unsigned dev);
  void do_symlink(Call& c, std::uint64_t text_addr, int dirfd, std::uint64_t path_addr);
  void do_link(Call& c, int olddirfd, std::uint64_t oldpath, int newdirfd, std::uint64_t newpath,
               int flags);
  void do_rename(Call& c, int olddirfd, std::uint64_t oldpath, int newdirfd,
                 std::uint64_t newpath, unsigned flags);
  void do_chmod(Call& c, int dirfd, std::uint64_t path_addr, unsigned mode, int flags);
  void do_fchmod(Call& c, int fd, unsigned mode);
  void do_truncate(Call& c, std::uint64_t path_addr, std::int64_t length);

  bool read_path(Call& c, std::uint64_t addr, std::string& out);
  [[nodiscard]] bool refused_at(const std::string& location, bool creating_non_dir);
  void open_existing(Call& c, Resolved& r, int flags);
  void reply(Call& c, std::int64_t value, int error);
  void reply_fd(Call& c, int fd, bool cloexec);

  int listener_;
  PathRules rules_;
  std::vector<char> notif_buf_;
  std::vector<char> resp_buf_;
  std::uint64_t handled_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace kavach::guard
