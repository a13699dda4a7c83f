// ProcessBackend::exec and run: a prepared sandbox (process_prepare.cpp) runs its command. Wait
// until it exec'd (or report the stage that failed), supervise to the end, read back what the
// kernel recorded, tear down. A warm (pooled) sandbox first gets its command handed over.
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>

#include "backends/common/cgroup.hpp"
#include "backends/common/cpu_backstop.hpp"
#include "backends/common/fd_passing.hpp"
#include "backends/common/supervisor.hpp"
#include "backends/process/command_args.hpp"
#include "backends/process/process_backend_impl.hpp"
#include "backends/process/prepared_sandbox.hpp"
#include "backends/process/spawn.hpp"
#include "backends/process/stage_clock.hpp"
#include "kavach/syscalls.hpp"
#include "network/egress_credentials.hpp"
#include "network/egress_proxy.hpp"

namespace kavach::process {
namespace {

using Clock = std::chrono::steady_clock;
using common::UniqueFd;

struct SetupOutcome {
  std::optional<StatusRecord> record;
  bool timed_out = false;
};

// Reads the status pipe until EOF (execve happened) or a failure record; bounded by `deadline`.
SetupOutcome wait_for_exec(int status_fd, int pidfd, Clock::time_point deadline) {
  SetupOutcome out;
  StatusRecord rec;
  std::size_t have = 0;
  bool child_gone = false;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) {
      out.timed_out = true;
      return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    pollfd fds[2] = {{status_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    const int rc = ::poll(fds, child_gone ? 1 : 2, static_cast<int>(std::min<long long>(left, 60'000)));
    if (rc < 0 && errno != EINTR) return out;
    if (rc <= 0) continue;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::read(status_fd, reinterpret_cast<char*>(&rec) + have, sizeof rec - have);
      if (n > 0) {
        have += static_cast<std::size_t>(n);
        if (have == sizeof rec) {
          out.record = rec;
          return out;  // the first failure decides; the child exits right after writing it
        }
        continue;
      }
      if (n == 0) return out;  // EOF: every writer closed; exec'd, or died silently
      if (errno != EINTR && errno != EAGAIN) return out;
    }
    // The child died: its copy of the pipe closes with it, so EOF follows; poll only the pipe.
    if (!child_gone && (fds[1].revents & POLLIN) != 0) child_gone = true;
  }
}

std::string describe_record(const StatusRecord& r, const std::vector<std::string>& op_text) {
  const auto stage = static_cast<ChildStage>(r.stage);
  std::string text = "sandbox setup failed at stage " + std::string(stage_name(stage)) + ": " +
                     std::strerror(r.error);
  if (r.detail >= 0 && static_cast<std::size_t>(r.detail) < op_text.size()) {
    text += " (while: " + op_text[static_cast<std::size_t>(r.detail)] + ")";
  }
  return text;
}

// Copies argv, envp and the exec candidates into the warm sandbox's CommandArea (one pointer
// array, strings behind it). False when they do not fit.
bool fill_command_area(CommandArea& area, const CommandArrays& args) {
  std::size_t next_ptr = 0;
  std::size_t used = 0;
  auto copy = [&](const CStringArray& a) -> char** {
    if (next_ptr + a.size() + 1 > CommandArea::kMaxPointers) return nullptr;
    char** first = &area.argv[next_ptr];
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string& s = a.at(i);
      if (used + s.size() + 1 > CommandArea::kBytes) return nullptr;
      char* dst = area.bytes + used;
      std::memcpy(dst, s.c_str(), s.size() + 1);
      used += s.size() + 1;
      area.argv[next_ptr++] = dst;
    }
    area.argv[next_ptr++] = nullptr;
    return first;
  };
  if (copy(args.argv) == nullptr) return false;
  char** envp = copy(args.envp);
  if (envp == nullptr) return false;
  char** paths = copy(args.exec_paths);
  if (paths == nullptr) return false;
  area.envp = envp;
  area.exec_paths = paths;
  area.exec_path_count = args.exec_paths.size();
  return true;
}

}  // namespace

Result<ExecResult> with_mount_plan(Result<ExecResult> result, const PreparedSandbox& sb) {
  if (result) {
    result->mount_plan = sb.op_text;
  } else if (result.error().code == ErrorCode::setup_failed && !sb.op_text.empty()) {
    std::string plan;
    for (const auto& op : sb.op_text) plan += (plan.empty() ? "" : "\n") + op;
    result.error().context["mount_plan"] = std::move(plan);
  }
  return result;
}

Result<ExecResult> ProcessBackend::run(const ValidPolicy& policy, const Command& cmd) {
  // Credential placeholders: the run's CA bundle joins the command (files, variables) and the
  // proxy gets the swaps; the copies of secret values are wiped when `egress` goes.
  auto egress = network::EgressRun::prepare(policy, cmd);
  if (!egress) return tl::unexpected(egress.error());
  const Command* command = &egress->command();
  auto prepared = prepare(policy, command);
  if (!prepared) return tl::unexpected(prepared.error());
  (*prepared)->egress_options = egress->options();
  auto result = with_mount_plan(run_prepared(**prepared, policy, *command), **prepared);
  (*prepared)->egress_options.reset();
  background().retire(std::move(*prepared));
  return result;
}

Background& ProcessBackend::background() {
  std::call_once(background_once_, [this] { background_ = std::make_unique<Background>(); });
  return *background_;
}

bool ProcessBackend::wait_idle(std::chrono::milliseconds timeout) {
  return background().wait_idle(timeout);
}

Result<void> ProcessBackend::wait_ready(PreparedSandbox& sb) {
  const auto setup_deadline = std::chrono::steady_clock::now() + kWarmSetupTimeout;
  const SetupOutcome setup = wait_for_exec(sb.status_r.get(), sb.pidfd.get(), setup_deadline);
  if (setup.timed_out) {
    return fail(ErrorCode::setup_failed, "warm sandbox set-up did not finish in time", {{"stage", "setup"}});
  }
  if (!setup.record) {
    return fail(ErrorCode::setup_failed, "warm sandbox PID 1 left during set-up", {{"stage", "setup"}});
  }
  if (setup.record->stage != kReadyRecord) {
    const StatusRecord& r = *setup.record;
    return fail(ErrorCode::setup_failed, describe_record(r, sb.op_text),
                {{"stage", std::string(stage_name(static_cast<ChildStage>(r.stage)))},
                 {"errno", std::to_string(r.error)}});
  }
  return {};
}

Result<ExecResult> ProcessBackend::run_prepared(PreparedSandbox& sb, const ValidPolicy& valid, const Command& cmd) {
  const SandboxPolicy& policy = valid;
  ExecResult result;
  std::vector<StageTiming> timings;
  std::uint64_t release_ns = sb.release_ns;
  std::uint64_t start_ns = sb.start_ns;
  auto deadline = sb.deadline;
  if (sb.warm) {
    // Hand the command over: the sandbox was set up for this policy before the call.
    const std::uint64_t claim_ns = mono_ns();
    start_ns = claim_ns;
    if (!cmd.files.empty()) {
      return fail(ErrorCode::invalid_argument, "a warm sandbox cannot take injected files (they belong to its mount set-up)");
    }
    CommandArrays args;
    if (auto r = build_command_arrays(policy, cmd, args); !r) return tl::unexpected(r.error());
    if (!sb.guard_roots.empty()) {
      if (auto r = wrap_with_guard(policy, sb.guard_roots, sb.guard_status_fd, args); !r) {
        return tl::unexpected(r.error());
      }
    }
    if (!fill_command_area(*sb.command_area->get(), args)) {
      return fail(ErrorCode::invalid_argument, "command too large for a warm sandbox's command area",
                  {{"limit_bytes", std::to_string(CommandArea::kBytes)}});
    }
    if (!cmd.stdin_data && cmd.stdin_fd < 0) sb.stdin_w.reset();
    if (auto r = hold_disk_quota(sb, policy); !r) return tl::unexpected(r.error());
    release_ns = mono_ns();
    timings.push_back({"claim", ms_between(claim_ns, release_ns)});
    deadline = std::chrono::steady_clock::now() + policy.limits.wall_timeout;  // from the hand-over
    if (::write(sb.release_w.get(), &kReleaseRun, 1) != 1) {
      return fail(ErrorCode::setup_failed, std::string("handing the command over: ") + std::strerror(errno),
                  {{"stage", "release"}});
    }
  } else {
    timings = std::move(sb.timings);
  }

  // Until execve: the child reports the first failing stage.
  const int pidfd = sb.pidfd.get();
  const SetupOutcome setup = wait_for_exec(sb.status_r.get(), pidfd, deadline);
  const std::uint64_t exec_seen_ns = mono_ns();
  if (setup.timed_out) {
    return fail(ErrorCode::setup_failed, "sandbox setup did not finish within the wall-clock timeout",
                {{"stage", "setup"}});
  }
  if (setup.record && static_cast<ChildStage>(setup.record->stage) != ChildStage::exec) {
    const StatusRecord& r = *setup.record;
    return fail(ErrorCode::setup_failed, describe_record(r, sb.op_text),
                {{"stage", std::string(stage_name(static_cast<ChildStage>(r.stage)))},
                 {"errno", std::to_string(r.error)}});
  }

  if (cmd.output != nullptr) cmd.output->on_started(sb.cp.report);

  // Run: capture, deadline, whole-tree kill.
  common::SuperviseRequest sr;
  sr.pidfd = pidfd;
  sr.stdout_fd = std::move(sb.stdout_r);
  sr.stderr_fd = std::move(sb.stderr_r);
  sr.stdin_fd = std::move(sb.stdin_w);
  if (cmd.stdin_data) sr.stdin_data = *cmd.stdin_data;
  sr.stdin_source = cmd.stdin_fd;
  sr.sink = cmd.output;
  common::UniqueFd master;
  if (cmd.terminal && sb.terminal_r) {
    // The terminal: its master carries the command's output and takes its input (stdin_fd).
    const int m = common::receive_fd(sb.terminal_r.get());
    if (m < 0) {
      kill_pidfd(pidfd);
      return fail(ErrorCode::setup_failed, std::string("receiving the terminal from the sandbox: ") + std::strerror(-m),
                  {{"stage", "terminal"}});
    }
    master.reset(m);
    sr.stdout_fd.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    if (cmd.stdin_fd >= 0) sr.stdin_fd.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 3));
    sr.resize_fd = cmd.terminal->resize_fd;
    const int size_source = cmd.terminal->size_source_fd;
    const int master_fd = master.get();
    sr.on_resize = [size_source, master_fd] {
      winsize ws{};
      if (size_source >= 0 && ::ioctl(size_source, TIOCGWINSZ, &ws) == 0) (void)::ioctl(master_fd, TIOCSWINSZ, &ws);
    };
  }
  // Allowlist: serve the egress proxy's listener (made in the sandbox's namespace) until the end.
  std::unique_ptr<network::EgressProxy> egress;
  if (sb.egress_r) {
    common::UniqueFd listener(common::receive_fd(sb.egress_r.get()));
    if (!listener) {
      kill_pidfd(pidfd);
      return fail(ErrorCode::setup_failed, "receiving the egress proxy's listener from the sandbox",
                  {{"stage", "network"}});
    }
    auto started = network::EgressProxy::start(std::move(listener), network::EgressRules(policy.network.allow),
                                               sb.egress_options ? *sb.egress_options : network::EgressOptions{});
    if (!started) {
      kill_pidfd(pidfd);
      return tl::unexpected(started.error());
    }
    egress = std::move(*started);
  }
  sr.output_cap = policy.limits.output_bytes;
  sr.deadline = deadline;
  sr.drain_grace = options_.drain_grace;
  const bool use_cgroup_kill = sb.use_cgroup_kill;
  common::RunCgroup& cgroup = sb.cgroup;
  sr.kill_tree = [&cgroup, pidfd, use_cgroup_kill] {
    kill_pidfd(pidfd);
    cgroup.kill_all(use_cgroup_kill);
  };
  // CPU-time limit for the whole tree: counted from the exec (set-up CPU is not the command's).
  const bool cpu_watch = policy.limits.cpu_time_seconds && sb.cp.report.applied(Control::cpu_time);
  const std::optional<std::uint64_t> cpu_base = cpu_watch ? cgroup.cpu_usage_usec() : std::nullopt;
  const std::uint64_t base_usec = cpu_base.value_or(0);  // plain copy: g++ 12 misreads the optional below
  if (cpu_base) {
    const std::uint64_t base = base_usec;
    sr.cpu_usage_usec = [&cgroup, base]() -> std::optional<std::uint64_t> {
      auto now = cgroup.cpu_usage_usec();
      if (!now) return std::nullopt;
      return *now > base ? *now - base : 0;
    };
    sr.cpu_limit_usec = *policy.limits.cpu_time_seconds * 1'000'000;
    sr.cpu_poll = common::kCpuWatchPeriod;
  }
  auto outcome = common::supervise(std::move(sr));
  if (egress) result.egress = egress->stop();
  if (!outcome) return tl::unexpected(outcome.error());
  sb.reaped = true;  // reaped by supervise
  result.stopped_by_consumer = outcome->stopped_by_consumer;
  const std::uint64_t exited_ns = mono_ns();
  std::optional<std::uint64_t> tree_cpu_usec;
  if (cpu_base) {
    if (auto now = cgroup.cpu_usage_usec()) tree_cpu_usec = *now > base_usec ? *now - base_usec : 0;
  }

  // What happened, from the kernel's records.
  const common::CgroupReadback cg = cgroup.read_back();
  cgroup.kill_all(use_cgroup_kill);
  cgroup.destroy();  // before returning: no run cgroup outlives exec() (probe T03)
  if (sb.disk_quota) {
    // Host-visible like the cgroup: the directories get their project ids back before exec()
    // returns (the tree is dead: nothing writes any more).
    const std::uint64_t added = sb.disk_quota->added_bytes();
    result.backend_info["disk_added_bytes"] = std::to_string(added);
    if (auto rel = sb.disk_quota->release(); !rel) result.backend_info["disk_quota_cleanup"] = rel.error().message;
    sb.disk_quota.reset();
  }
  ChildShared* sh = sb.shared.get();
  if (__atomic_load_n(&sh->command_status_valid, __ATOMIC_ACQUIRE) != 0) {
    const int ws = sh->command_wstatus;
    if (WIFEXITED(ws)) result.exit_code = WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) result.signal = WTERMSIG(ws);
  } else if (outcome->wait_code == CLD_EXITED) {
    result.exit_code = outcome->wait_status;
  } else {
    result.signal = outcome->wait_status;  // PID 1 itself was killed (timeout, OOM): the tree died
  }
  result.timed_out = outcome->timed_out;
  result.oom_killed = cg.oom_kills > 0;
  result.pids_limit_hit = cg.pids_max_events > 0;
  result.usage.user_cpu_ms = static_cast<double>(outcome->usage.ru_utime.tv_sec) * 1e3 +
                             static_cast<double>(outcome->usage.ru_utime.tv_usec) / 1e3;
  result.usage.sys_cpu_ms = static_cast<double>(outcome->usage.ru_stime.tv_sec) * 1e3 +
                            static_cast<double>(outcome->usage.ru_stime.tv_usec) / 1e3;
  result.usage.max_rss_kb = static_cast<std::uint64_t>(outcome->usage.ru_maxrss);
  result.usage.memory_peak_bytes = cg.memory_peak_bytes;
  result.usage.pids_peak = cg.pids_peak;
  if (outcome->cpu_limit_hit) {
    // The tree's CPU time reached the limit and the supervisor killed it: reported as SIGKILL,
    // whatever status the command's process happened to get while the tree went down.
    result.cpu_limit_hit = true;
    result.signal = SIGKILL;
    result.exit_code.reset();
  } else if (policy.limits.cpu_time_seconds && !result.timed_out) {
    // The per-process backstop: RLIMIT_CPU (soft == hard) ends a process with SIGKILL (SIGXCPU
    // where the hard limit is higher); a shell in between turns that into 128+signal. Count it
    // only when the CPU time came close to the limit: rusage is tick-sampled and trails the
    // kernel's exact accounting (0.90 s measured at a 1 s kill); the cgroup's total is exact.
    const double limit_ms = static_cast<double>(*policy.limits.cpu_time_seconds) * 1e3;
    const int sig = result.signal.value_or(result.exit_code.value_or(0) > 128 ? *result.exit_code - 128 : 0);
    const double used_ms = tree_cpu_usec ? static_cast<double>(*tree_cpu_usec) / 1e3
                                         : result.usage.user_cpu_ms + result.usage.sys_cpu_ms;
    result.cpu_limit_hit = !result.oom_killed && (sig == SIGXCPU || sig == SIGKILL) && used_ms >= limit_ms * 0.8;
    if (result.cpu_limit_hit) {  // reported like the tree kill: a signal, no exit code
      result.signal = sig;
      result.exit_code.reset();
    }
  }
  if (setup.record) {
    const StatusRecord& r = *setup.record;
    result.setup_failure = SetupFailure{"exec", r.error,
                                        "cannot execute '" + cmd.argv.front() + "': " + std::strerror(r.error)};
  }
  result.stdout_data = std::move(outcome->stdout_data);
  result.stderr_data = std::move(outcome->stderr_data);
  result.stdout_truncated = outcome->stdout_truncated;
  result.stderr_truncated = outcome->stderr_truncated;

  // Timings: parent stages, the child's stages from its timestamps (a warm start: only the
  // wake-up after the hand-over; the rest happened while it was pooled), then the run.
  std::uint64_t prev = release_ns;
  for (std::size_t i = 0; i < static_cast<std::size_t>(ChildStage::exec); ++i) {
    if (sb.warm && static_cast<ChildStage>(i) != ChildStage::command) continue;
    const std::uint64_t done = __atomic_load_n(&sh->stage_done_ns[i], __ATOMIC_ACQUIRE);
    if (done == 0) continue;
    timings.push_back({std::string(stage_name(static_cast<ChildStage>(i))), ms_between(prev, done)});
    prev = done;
  }
  timings.push_back({"exec", ms_between(prev, exec_seen_ns)});
  // run: the command until PID 1 reaped it; exit: PID 1 leaving (its namespaces go with it)
  // until the parent reaped it and swept the cgroups.
  const std::uint64_t reaped_ns = __atomic_load_n(&sh->command_reaped_ns, __ATOMIC_ACQUIRE);
  if (reaped_ns > exec_seen_ns && reaped_ns < exited_ns) {
    timings.push_back({"run", ms_between(exec_seen_ns, reaped_ns)});
    timings.push_back({"exit", ms_between(reaped_ns, exited_ns)});
  } else {
    timings.push_back({"run", ms_between(exec_seen_ns, exited_ns)});
  }
  const std::uint64_t end_ns = mono_ns();
  timings.push_back({"teardown", ms_between(exited_ns, end_ns)});
  result.timings = std::move(timings);
  result.duration_ms = ms_between(start_ns, end_ns);

  const ControlPlan& cp = sb.cp;
  result.enforcement = sb.cp.report;
  result.backend_info["start"] = sb.warm ? "warm (pooled, single use)" : "cold";
  result.backend_info["clone"] = sb.used_clone3 ? "clone3" : "clone";
  result.backend_info["cgroup_placement"] = sb.into_cgroup ? "CLONE_INTO_CGROUP" : "cgroup.procs";
  result.backend_info["uid_map"] = std::to_string(cp.inside_uid) + " -> " + std::to_string(cp.host_uid);
  result.backend_info["gid_map"] = std::to_string(cp.inside_gid) + " -> " + std::to_string(cp.host_gid);
  result.backend_info["stdout_bytes_total"] = std::to_string(outcome->stdout_total);
  result.backend_info["stderr_bytes_total"] = std::to_string(outcome->stderr_total);
  if (tree_cpu_usec) result.backend_info["cpu_time_tree_ms"] = std::to_string(*tree_cpu_usec / 1000);
  if (outcome->output_cut) result.backend_info["output_cut"] = "pipes still open after the tree died";
  if (cp.landlock) result.backend_info["landlock_abi"] = std::to_string(sb.landlock_abi);
  if (cp.idmap_writable && sb.writable_entries > 0) {
    result.backend_info["writable_paths"] = sb.idmap_notes.empty() ? "idmapped" : sb.idmap_notes.front();
  }
  if (sb.protected_masks > 0) result.backend_info["protected_masks"] = std::to_string(sb.protected_masks);
  return result;
}

}  // namespace kavach::process
