#include "backends/oci/container_run.hpp"

#include <fcntl.h>
#include <functional>
#include <memory>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "backends/common/supervisor.hpp"
#include "backends/oci/tool_process.hpp"

namespace kavach::oci {
namespace {

using Clock = std::chrono::steady_clock;
using common::UniqueFd;

constexpr auto kToolTimeout = std::chrono::seconds(10);

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno));
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

bool has_exited(int pidfd) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// The runtime prints its own failure to the stderr it shares with the container; keep the
// container's bytes and report the runtime's message separately.
void strip_runtime_echo(std::string& err, const std::string& message) {
  if (message.empty()) return;
  const auto pos = err.rfind(message);
  if (pos != std::string::npos) err.erase(pos, message.size() + (pos + message.size() < err.size() ? 1 : 0));
}

struct Pipes {
  UniqueFd out_r, out_w, err_r, err_w, in_r, in_w;
};

Result<Pipes> make_pipes(bool with_stdin) {
  Pipes p;
  auto o = make_pipe();
  auto e = make_pipe();
  if (!o || !e) return fail(ErrorCode::io_error, std::string("pipes: ") + std::strerror(errno));
  p.out_r = std::move(o->first);
  p.out_w = std::move(o->second);
  p.err_r = std::move(e->first);
  p.err_w = std::move(e->second);
  if (with_stdin) {
    auto i = make_pipe();
    if (!i) return tl::unexpected(i.error());
    p.in_r = std::move(i->first);
    p.in_w = std::move(i->second);
  }
  return p;
}

// Kills the container through the runtime; the second time also the supervised runtime process
// itself (a runtime that does not react must not hold the run past its deadline).
std::function<void()> killer(const RuntimeCommand& rt, const std::string& id, int pidfd) {
  auto calls = std::make_shared<int>(0);
  return [&rt, id, pidfd, calls] {
    if (has_exited(pidfd)) return;  // the sweep after a normal exit: the pid namespace is gone
    ++*calls;
    (void)run_tool(rt.argv({"kill", id, "KILL"}), std::chrono::seconds(3));
    if (*calls >= 2) (void)::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  };
}

void take_output(ContainerOutcome& o, common::SuperviseOutcome& s) {
  o.stdout_data = std::move(s.stdout_data);
  o.stderr_data = std::move(s.stderr_data);
  o.stdout_truncated = s.stdout_truncated;
  o.stderr_truncated = s.stderr_truncated;
  o.timed_out = s.timed_out;
  o.user_cpu_ms = static_cast<double>(s.usage.ru_utime.tv_sec) * 1e3 + static_cast<double>(s.usage.ru_utime.tv_usec) / 1e3;
  o.sys_cpu_ms = static_cast<double>(s.usage.ru_stime.tv_sec) * 1e3 + static_cast<double>(s.usage.ru_stime.tv_usec) / 1e3;
}

// The container must not outlive kavach: runc and runsc keep a container running when the
// process that started them dies. A watchdog (/bin/sh, own session, so a kill of kavach's
// process group spares it) waits on a pipe only kavach writes to: "done" at the end of a
// normal run, EOF when kavach died — then it deletes the container by force (and once more a
// second later, in case kavach died while the runtime was still creating it).
class Watchdog {
 public:
  static Result<Watchdog> arm(const RuntimeCommand& rt, const std::string& id) {
    auto p = make_pipe();
    if (!p) return tl::unexpected(p.error());
    ToolCommand cmd;
    cmd.argv = {"/bin/sh", "-c", "IFS= read -r x; [ \"$x\" = done ] && exit 0; \"$@\"; sleep 1; exec \"$@\"",
                "kavach-oci-watchdog"};
    for (auto& a : rt.argv({"delete", "--force", id})) cmd.argv.push_back(std::move(a));
    cmd.stdin_fd = p->first.get();
    auto spawned = spawn_tool(cmd);
    if (!spawned) return tl::unexpected(spawned.error());
    Watchdog w;
    w.proc_ = std::move(*spawned);
    w.write_ = std::move(p->second);  // O_CLOEXEC: the runtime never holds it
    return w;
  }
  Watchdog() = default;
  Watchdog(Watchdog&&) = default;
  Watchdog& operator=(Watchdog&&) = default;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { disarm(); }

  // The run ended under kavach's control: the watchdog exits without touching anything.
  void disarm() {
    if (!write_) return;
    static constexpr char kDone[] = "done\n";
    (void)!::write(write_.get(), kDone, sizeof kDone - 1);
    write_.reset();
    if (proc_.pid > 0) ::waitpid(proc_.pid, nullptr, 0);
    proc_.pid = -1;
  }

 private:
  SpawnedTool proc_;
  UniqueFd write_;
};

// One foreground `run` for every runtime; its exit status is the container's. runc gets --keep
// so the stopped container (and its cgroup) stays for the read-back until `delete`. runsc has
// no --keep, and its create/start/wait path lost the status of short commands ("sandbox no
// longer running and its exit status is unavailable", runsc 20221219): kavach pre-creates the
// sandbox's cgroup instead (runsc uses an existing cgroup as is and leaves it in place).
Result<ContainerOutcome> run_foreground(const ContainerRequest& req) {
  ContainerOutcome o;
  auto pipes = make_pipes(req.stdin_data.has_value() || req.stdin_source >= 0);
  if (!pipes) return tl::unexpected(pipes.error());
  std::vector<std::string> sub = {"run", "--bundle", req.bundle.string()};
  if (req.rt.runtime.flavor == RuntimeFlavor::runc) sub.push_back("--keep");
  sub.push_back(req.id);
  ToolCommand cmd;
  cmd.argv = req.rt.argv(sub);
  cmd.stdin_fd = pipes->in_r.get();
  cmd.stdout_fd = pipes->out_w.get();
  cmd.stderr_fd = pipes->err_w.get();
  const auto t0 = Clock::now();
  auto watchdog = Watchdog::arm(req.rt, req.id);
  if (!watchdog) return tl::unexpected(watchdog.error());
  auto spawned = spawn_tool(cmd);
  if (!spawned) return tl::unexpected(spawned.error());
  pipes->in_r.reset();
  pipes->out_w.reset();
  pipes->err_w.reset();

  common::SuperviseRequest sr;
  sr.pidfd = spawned->pidfd.get();
  sr.stdout_fd = std::move(pipes->out_r);
  sr.stderr_fd = std::move(pipes->err_r);
  sr.stdin_fd = std::move(pipes->in_w);
  if (req.stdin_data) sr.stdin_data = *req.stdin_data;
  sr.stdin_source = req.stdin_source;
  sr.sink = req.sink;
  sr.output_cap = req.output_cap;
  sr.deadline = req.deadline;
  sr.kill_tree = killer(req.rt, req.id, spawned->pidfd.get());
  sr.cpu_usage_usec = req.cpu_usage_usec;
  sr.cpu_limit_usec = req.cpu_limit_usec;
  auto s = common::supervise(std::move(sr));
  if (!s) return tl::unexpected(s.error());
  watchdog->disarm();
  o.stopped_by_consumer = s->stopped_by_consumer;
  o.timings.push_back({"runtime_run", ms_since(t0)});
  take_output(o, *s);
  o.cpu_limit_hit = s->cpu_limit_hit;
  o.status = s->wait_code == CLD_EXITED ? s->wait_status : 128 + s->wait_status;
  o.runtime_error = last_log_error(req.runtime_log);
  o.started = o.runtime_error.empty();
  strip_runtime_echo(o.stderr_data, o.runtime_error);
  return o;
}

}  // namespace

std::vector<std::string> RuntimeCommand::argv(std::vector<std::string> sub) const {
  std::vector<std::string> out = {runtime.path};
  out.insert(out.end(), global_args.begin(), global_args.end());
  out.insert(out.end(), sub.begin(), sub.end());
  return out;
}

std::string last_log_error(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    try {
      const auto j = nlohmann::json::parse(line);
      const std::string level = j.value("level", "");
      const std::string msg = j.value("msg", "");
      // runsc logs its fatal errors at level warning, as "FATAL ERROR: ..." (util.Fatalf).
      constexpr std::string_view kFatal = "FATAL ERROR: ";
      if (level == "error") last = msg;
      if (level == "warning" && msg.rfind(kFatal, 0) == 0) last = msg.substr(kFatal.size());
    } catch (const std::exception&) {
      // not JSON (a runtime that ignores --log-format): not ours to interpret
    }
  }
  return last;
}

Result<ContainerOutcome> run_container(const ContainerRequest& req) { return run_foreground(req); }

bool container_known(const RuntimeCommand& rt, const std::string& id) {
  for (std::size_t i = 0; i + 1 < rt.global_args.size(); ++i) {
    if (rt.global_args[i] != "--root") continue;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(rt.global_args[i + 1], ec)) {
      if (e.path().filename().string().rfind(id, 0) == 0) return true;
    }
    return static_cast<bool>(ec);  // unreadable root: assume it is there
  }
  return true;
}

Result<void> delete_container(const RuntimeCommand& rt, const std::string& id) {
  auto run = run_tool(rt.argv({"delete", "--force", id}), kToolTimeout);
  if (!run) return tl::unexpected(run.error());
  if (!run->ok()) {
    return fail(ErrorCode::setup_failed, run->describe(rt.runtime.name + " delete --force " + id),
                {{"stage", "delete"}, {"container", id}});
  }
  return {};
}

}  // namespace kavach::oci
