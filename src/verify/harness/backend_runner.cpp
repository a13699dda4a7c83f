#include "backend_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace kavach::probes {

BackendRunner::BackendRunner(std::shared_ptr<Backend> backend, SandboxPolicy policy, std::string probe)
    : backend_(std::move(backend)), policy_(std::move(policy)), probe_(std::move(probe)) {}

std::string BackendRunner::name() const {
  return std::string(to_string(backend_->kind())) + ":" + policy_.name;
}

Result<RunOutput> BackendRunner::run(const RunSpec& spec) {
  return spec.controlling_tty ? run_on_pty(spec) : run_here(spec);
}

Result<RunOutput> BackendRunner::run_here(const RunSpec& spec) {
  SandboxPolicy p = policy_;
  if (spec.timeout < p.limits.wall_timeout) p.limits.wall_timeout = spec.timeout;
  Command cmd;
  cmd.argv = spec.argv;
  cmd.stdin_data = spec.stdin_data;
  auto r = backend_->exec(p, cmd);
  if (!r) return tl::unexpected(r.error());
  last_enforcement_ = r->enforcement;
  RunOutput o;
  o.exit_code = r->exit_code;
  o.signal = r->signal;
  o.timed_out = r->timed_out;
  o.pids_limit_hit = r->pids_limit_hit;
  o.oom_killed = r->oom_killed;
  o.cpu_limit_hit = r->cpu_limit_hit;
  o.stdout_data = std::move(r->stdout_data);
  o.stderr_data = std::move(r->stderr_data);
  o.stdout_truncated = r->stdout_truncated;
  o.stderr_truncated = r->stderr_truncated;
  o.duration_ms = r->duration_ms;
  if (r->setup_failure) {
    o.setup_error = r->setup_failure->stage + ": " + r->setup_failure->message + " (" +
                    std::strerror(r->setup_failure->error_number) + ")";
  }
  return o;
}

// The launcher itself sits on a fresh pseudo terminal that is its controlling tty (a user at a
// terminal): the sandbox must not inherit it. A forked child becomes that launcher and sends
// the result back as JSON.
Result<RunOutput> BackendRunner::run_on_pty(const RunSpec& spec) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno));
  int master = -1, slave = -1;
  if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    return fail(ErrorCode::io_error, std::string("openpty: ") + std::strerror(errno));
  }
  pid_t pid = fork();
  if (pid < 0) return fail(ErrorCode::io_error, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(p[0]);
    setsid();
    ioctl(slave, TIOCSCTTY, 0);
    dup2(slave, STDIN_FILENO);
    dup2(slave, STDOUT_FILENO);
    dup2(slave, STDERR_FILENO);
    RunSpec plain = spec;
    plain.controlling_tty = false;
    auto r = run_here(plain);
    nlohmann::json j;
    if (!r) {
      j["error"] = r.error().describe();
    } else {
      j["stdout"] = r->stdout_data;
      j["stderr"] = r->stderr_data.substr(0, 4096);
      j["exit"] = r->exit_code ? *r->exit_code : -1;
      j["signal"] = r->signal ? *r->signal : 0;
      j["timed_out"] = r->timed_out;
      j["setup_error"] = r->setup_error;
    }
    std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = write(p[1], s.data() + off, s.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(p[1]);
  close(slave);
  std::string data;
  for (;;) {
    pollfd fds[2] = {{p[0], POLLIN, 0}, {master, POLLIN, 0}};
    int n = poll(fds, 2, 1000);
    if (n < 0 && errno == EINTR) continue;
    char buf[8192];
    if (fds[1].revents & POLLIN) (void)!read(master, buf, sizeof buf);  // keep the pty drained
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      ssize_t k = read(p[0], buf, sizeof buf);
      if (k <= 0) break;
      data.append(buf, static_cast<std::size_t>(k));
    }
  }
  close(p[0]);
  close(master);
  int st = 0;
  waitpid(pid, &st, 0);
  try {
    auto j = nlohmann::json::parse(data);
    if (j.contains("error")) return fail(ErrorCode::exec_failed, j["error"].get<std::string>());
    RunOutput o;
    o.stdout_data = j["stdout"].get<std::string>();
    o.stderr_data = j["stderr"].get<std::string>();
    if (j["exit"].get<int>() >= 0) o.exit_code = j["exit"].get<int>();
    if (j["signal"].get<int>() > 0) o.signal = j["signal"].get<int>();
    o.timed_out = j["timed_out"].get<bool>();
    o.setup_error = j["setup_error"].get<std::string>();
    return o;
  } catch (const std::exception& ex) {
    return fail(ErrorCode::internal, std::string("pty launcher returned no result: ") + ex.what());
  }
}

}  // namespace kavach::probes
