#include "backends/oci/tool_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "backends/common/supervisor.hpp"

namespace kavach::oci {
namespace {

Result<std::pair<common::UniqueFd, common::UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno));
  }
  return std::make_pair(common::UniqueFd(fds[0]), common::UniqueFd(fds[1]));
}

// posix_spawn objects, destroyed on every path.
struct SpawnObjects {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnObjects() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnObjects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnObjects(const SpawnObjects&) = delete;
  SpawnObjects& operator=(const SpawnObjects&) = delete;
};

}  // namespace

const std::vector<std::string>& tool_environment() {
  static const std::vector<std::string> env = [] {
    std::vector<std::string> e = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    for (const char* name : {"XDG_RUNTIME_DIR", "HOME"}) {
      if (const char* v = std::getenv(name); v != nullptr) e.push_back(std::string(name) + "=" + v);
    }
    return e;
  }();
  return env;
}

std::string ToolRun::describe(const std::string& what) const {
  std::string text = what + ": " + (timed_out ? "timed out" : "exit " + std::to_string(status));
  std::string detail = err.empty() ? out : err;
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
  if (!detail.empty()) text += ": " + detail;
  return text;
}

Result<SpawnedTool> spawn_tool(const ToolCommand& cmd) {
  if (cmd.argv.empty() || cmd.argv.front().empty() || cmd.argv.front().front() != '/') {
    return fail(ErrorCode::internal, "spawn_tool needs an absolute program path");
  }
  common::UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) return fail(ErrorCode::io_error, std::string("open /dev/null: ") + std::strerror(errno));

  SpawnObjects so;
  const int in = cmd.stdin_fd >= 0 ? cmd.stdin_fd : devnull.get();
  const int out = cmd.stdout_fd >= 0 ? cmd.stdout_fd : devnull.get();
  const int err = cmd.stderr_fd >= 0 ? cmd.stderr_fd : devnull.get();
  int rc = posix_spawn_file_actions_adddup2(&so.actions, in, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&so.actions, out, 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&so.actions, err, 2);
  // Nothing of ours beyond 0-2 reaches the runtime (it would hand it on to the container).
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&so.actions, 3);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigfillset(&defaults);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&so.attr, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&so.attr, &defaults);
  if (rc == 0) {
    rc = posix_spawnattr_setflags(&so.attr, static_cast<short>(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                                POSIX_SPAWN_SETSIGDEF));
  }
  if (rc != 0) return fail(ErrorCode::internal, std::string("posix_spawn set-up: ") + std::strerror(rc));

  std::vector<char*> argv;
  for (const auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : tool_environment()) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  rc = posix_spawn(&pid, argv[0], &so.actions, &so.attr, argv.data(), envp.data());
  if (rc != 0) {
    return fail(rc == ENOENT ? ErrorCode::runtime_missing : ErrorCode::exec_failed,
                "cannot start " + cmd.argv.front() + ": " + std::strerror(rc), {{"program", cmd.argv.front()}});
  }
  SpawnedTool spawned;
  spawned.pid = pid;
  spawned.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!spawned.pidfd) {
    const int e = errno;
    ::kill(pid, SIGKILL);
    siginfo_t info{};
    (void)::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED);
    return fail(ErrorCode::internal, std::string("pidfd_open: ") + std::strerror(e));
  }
  return spawned;
}

Result<ToolRun> run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         std::uint64_t output_cap) {
  auto out = make_pipe();
  if (!out) return tl::unexpected(out.error());
  auto err = make_pipe();
  if (!err) return tl::unexpected(err.error());
  ToolCommand cmd;
  cmd.argv = argv;
  cmd.stdout_fd = out->second.get();
  cmd.stderr_fd = err->second.get();
  auto spawned = spawn_tool(cmd);
  if (!spawned) return tl::unexpected(spawned.error());
  out->second.reset();
  err->second.reset();

  common::SuperviseRequest req;
  req.pidfd = spawned->pidfd.get();
  req.stdout_fd = std::move(out->first);
  req.stderr_fd = std::move(err->first);
  req.output_cap = output_cap;
  req.deadline = std::chrono::steady_clock::now() + timeout;
  req.drain_grace = std::chrono::milliseconds(100);
  const int pidfd = spawned->pidfd.get();
  bool killed = false;
  req.kill_tree = [pidfd, &killed] {
    // Called on timeout, and once after the exit to sweep: only the former needs a signal.
    if (killed) return;
    killed = true;
    (void)::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  };
  auto outcome = common::supervise(std::move(req));
  if (!outcome) return tl::unexpected(outcome.error());
  ToolRun run;
  run.timed_out = outcome->timed_out;
  run.status = outcome->wait_code == CLD_EXITED ? outcome->wait_status : 128 + outcome->wait_status;
  run.out = std::move(outcome->stdout_data);
  run.err = std::move(outcome->stderr_data);
  return run;
}

}  // namespace kavach::oci
