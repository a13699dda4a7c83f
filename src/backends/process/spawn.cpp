#include "backends/process/spawn.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace kavach::process {
namespace {

// All signals blocked around clone: a handler of the embedding program must never run in the
// child before it resets dispositions. Restored in the parent on scope exit.
class BlockAllSignals {
 public:
  BlockAllSignals() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old_);
  }
  ~BlockAllSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  BlockAllSignals(const BlockAllSignals&) = delete;
  BlockAllSignals& operator=(const BlockAllSignals&) = delete;

 private:
  sigset_t old_{};
};

long raw_clone3(clone_args* args) { return ::syscall(SYS_clone3, args, sizeof(clone_args)); }

int write_text(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int e = n < 0 ? errno : (static_cast<std::size_t>(n) == text.size() ? 0 : EIO);
  ::close(fd);
  return e;
}

}  // namespace

Result<Spawned> spawn_child(const SpawnRequest& req) {
  Spawned out;
  int pidfd = -1;
  long pid = -1;
  int err = 0;
  {
    BlockAllSignals block;
    if (!req.force_legacy_clone) {
      clone_args args{};
      args.flags = CLONE_PIDFD | req.namespaces;
      args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd);
      args.exit_signal = 0;
      if (req.cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<std::uint64_t>(req.cgroup_fd);
      }
      pid = raw_clone3(&args);
      if (pid == 0) child_main(*req.plan);
      err = errno;
      // The v2 directory may refuse CLONE_INTO_CGROUP (domain rules, permissions): retry
      // without it; the parent then writes cgroup.procs instead.
      if (pid < 0 && req.cgroup_fd >= 0 && err != ENOSYS && err != E2BIG) {
        args.flags &= ~static_cast<std::uint64_t>(CLONE_INTO_CGROUP);
        args.cgroup = 0;
        pid = raw_clone3(&args);
        if (pid == 0) child_main(*req.plan);
        err = errno;
      } else if (pid > 0) {
        out.into_cgroup = req.cgroup_fd >= 0;
      }
      out.used_clone3 = pid > 0;
    }
    if (pid < 0 && (req.force_legacy_clone || err == ENOSYS || err == E2BIG)) {
      // clone(2): CLONE_PIDFD (5.2+) returns the pidfd through the parent_tid argument.
      pid = ::syscall(SYS_clone, CLONE_PIDFD | req.namespaces, nullptr, &pidfd, nullptr, 0);
      if (pid == 0) child_main(*req.plan);
      err = errno;
    }
  }
  if (pid < 0) {
    return fail(ErrorCode::setup_failed, std::string("clone of the sandbox child failed: ") + std::strerror(err),
                {{"stage", "clone"}, {"errno", std::to_string(err)}});
  }
  out.pid = static_cast<pid_t>(pid);
  out.pidfd.reset(pidfd);
  return out;
}

Result<void> write_id_maps(pid_t pid, uid_t inside_uid, uid_t outside_uid, gid_t inside_gid,
                           gid_t outside_gid, bool deny_setgroups) {
  const std::string proc = "/proc/" + std::to_string(pid);
  if (deny_setgroups) {
    if (const int e = write_text(proc + "/setgroups", "deny"); e != 0) {
      return fail(ErrorCode::setup_failed, std::string("writing setgroups=deny: ") + std::strerror(e),
                  {{"stage", "id_maps"}});
    }
  }
  const std::string uid_line = std::to_string(inside_uid) + " " + std::to_string(outside_uid) + " 1\n";
  if (const int e = write_text(proc + "/uid_map", uid_line); e != 0) {
    return fail(ErrorCode::setup_failed, "writing uid_map '" + uid_line.substr(0, uid_line.size() - 1) + "': " + std::strerror(e),
                {{"stage", "id_maps"}});
  }
  const std::string gid_line = std::to_string(inside_gid) + " " + std::to_string(outside_gid) + " 1\n";
  if (const int e = write_text(proc + "/gid_map", gid_line); e != 0) {
    return fail(ErrorCode::setup_failed, "writing gid_map '" + gid_line.substr(0, gid_line.size() - 1) + "': " + std::strerror(e),
                {{"stage", "id_maps"}});
  }
  return {};
}

void kill_pidfd(int pidfd) noexcept {
  if (pidfd >= 0) (void)::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
}

}  // namespace kavach::process
