// ProcessBackend::exec: one run, in order. Prepare everything in the parent (policy checks,
// seccomp BPF, mount plan, Landlock ruleset, cgroup, argv/envp), clone the child into its
// namespaces, place it in the cgroups, write its id maps, release it, wait until it exec'd (or
// report the stage that failed), supervise to the end, read back what the kernel recorded.
#include <fcntl.h>
#include <sched.h>
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
#include "backends/common/supervisor.hpp"
#include "backends/process/command_args.hpp"
#include "backends/process/process_backend_impl.hpp"
#include "backends/process/spawn.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::process {
namespace {

using Clock = std::chrono::steady_clock;
using common::UniqueFd;

std::uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

double ms_between(std::uint64_t from_ns, std::uint64_t to_ns) {
  return to_ns > from_ns ? static_cast<double>(to_ns - from_ns) / 1e6 : 0.0;
}

class Timings {
 public:
  void lap(const char* stage) {
    const std::uint64_t now = mono_ns();
    items.push_back({stage, ms_between(last_, now)});
    last_ = now;
  }
  void add(std::string stage, double ms) { items.push_back({std::move(stage), ms}); }
  void reset_to(std::uint64_t ns) { last_ = ns; }
  std::vector<StageTiming> items;

 private:
  std::uint64_t last_ = mono_ns();
};

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno), {{"stage", "pipes"}});
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// The MAP_SHARED page for stage timestamps and the command's status.
class SharedPage {
 public:
  SharedPage() {
    void* p = ::mmap(nullptr, sizeof(ChildShared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) page_ = static_cast<ChildShared*>(p);
  }
  ~SharedPage() {
    if (page_ != nullptr) ::munmap(page_, sizeof(ChildShared));
  }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  [[nodiscard]] ChildShared* get() const { return page_; }

 private:
  ChildShared* page_ = nullptr;
};

// Until disarmed: SIGKILL the child (its pid namespace dies with it) and reap it.
class ChildGuard {
 public:
  explicit ChildGuard(int pidfd) : pidfd_(pidfd) {}
  ~ChildGuard() {
    if (pidfd_ < 0) return;
    kill_pidfd(pidfd_);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(pidfd_), &info,
                    WEXITED | __WALL) < 0 && errno == EINTR) {
    }
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  void disarm() { pidfd_ = -1; }

 private:
  int pidfd_;
};

// Stack for the command's CLONE_VM start inside the sandbox (copied into PID 1 at clone).
class CommandStack {
 public:
  static constexpr std::size_t kSize = 128u << 10;
  CommandStack() {
    void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p != MAP_FAILED) base_ = static_cast<char*>(p);
  }
  ~CommandStack() {
    if (base_ != nullptr) ::munmap(base_, kSize);
  }
  CommandStack(const CommandStack&) = delete;
  CommandStack& operator=(const CommandStack&) = delete;
  [[nodiscard]] char* base() const { return base_; }

 private:
  char* base_ = nullptr;
};

class PlaceholderLease {
 public:
  PlaceholderLease(PlaceholderRegistry& reg, const std::vector<Placeholder>& items) : reg_(reg), items_(items) {
    reg_.acquire(items_);
  }
  ~PlaceholderLease() { reg_.release(items_); }
  PlaceholderLease(const PlaceholderLease&) = delete;
  PlaceholderLease& operator=(const PlaceholderLease&) = delete;

 private:
  PlaceholderRegistry& reg_;
  const std::vector<Placeholder>& items_;
};

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

std::string describe_record(const StatusRecord& r, const MountPlan& plan) {
  const auto stage = static_cast<ChildStage>(r.stage);
  std::string text = "sandbox setup failed at stage " + std::string(stage_name(stage)) + ": " +
                     std::strerror(r.error);
  if (r.detail >= 0 && static_cast<std::size_t>(r.detail) < plan.op_text.size()) {
    text += " (while: " + plan.op_text[static_cast<std::size_t>(r.detail)] + ")";
  }
  return text;
}

std::string format_cores(double cores) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g %s", cores, cores == 1.0 ? "core" : "cores");
  return buf;
}

std::vector<PathRule> rules_without_mount_ns(const SandboxPolicy& policy) {
  std::vector<PathRule> rules;
  for (const auto& p : policy.fs.readonly_paths) rules.push_back({p, kAccessRead | kAccessExec});
  for (const auto& p : policy.fs.writable_paths) rules.push_back({p, kAccessRead | kAccessWrite | kAccessExec});
  return rules;
}

}  // namespace

Result<ExecResult> ProcessBackend::exec(const SandboxPolicy& policy, const Command& cmd) {
  const std::uint64_t start_ns = mono_ns();
  Timings tm;
  ExecResult result;

  // 1. What the policy asks and what this host can do; fail closed here.
  if (auto v = validate_policy(policy); !v) return tl::unexpected(v.error());
  auto planned = plan_controls(host_, policy, options_.identity);
  if (!planned) return tl::unexpected(planned.error());
  ControlPlan& cp = *planned;
  EnforcementReport& report = cp.report;
  CommandArrays args;
  if (auto r = build_command_arrays(policy, cmd, args); !r) return tl::unexpected(r.error());
  auto caps = prepare_capabilities(policy.keep_capabilities);
  if (!caps) return tl::unexpected(caps.error());
  report.set(Control::capabilities, true, true, caps->detail);
  PreparedRlimits rlimits = prepare_rlimits(policy.limits);
  report.set(Control::rlimits, true, true, rlimits.detail);
  tm.lap("prepare");

  PreparedSeccomp seccomp;
  if (cp.seccomp) {
    auto prepared = prepare_seccomp_for(policy.seccomp);  // cached per seccomp policy
    if (!prepared) return tl::unexpected(prepared.error());
    seccomp = std::move(*prepared);
    report.set(Control::seccomp, true, true, seccomp.description, std::string(to_string(policy.seccomp.mode)));
  }
  tm.lap("seccomp_compile");

  // 2. Filesystem view.
  MountPlan mounts;
  std::vector<std::string> idmap_notes;
  if (cp.mntns) {
    MountPlanInput in;
    in.fs = &policy.fs;
    in.tmpfs_bytes = policy.limits.tmpfs_bytes;
    in.files = &cmd.files;
    in.mount_proc = cp.pidns;
    if (cp.idmap_writable) {
      in.writable_tree = [&](const std::filesystem::path& p) -> Result<UniqueFd> {
        auto tree = idmap_.idmapped_tree(p);
        if (tree) return tree;
        idmap_notes.push_back(tree.error().message + "; plain bind used");
        return UniqueFd();
      };
    }
    auto built = build_mount_plan(in);
    if (!built) return tl::unexpected(built.error());
    mounts = std::move(*built);
  } else if (!cmd.files.empty()) {
    return fail(ErrorCode::invalid_argument,
                "injected files need the sandbox's own tmpfs, which needs a mount namespace (degraded here)");
  }
  tm.lap("mount_plan");

  // 3. Landlock ruleset from host paths (same inodes the child binds), plus rules the child
  // adds for its own mounts.
  PreparedLandlock landlock;
  std::vector<std::pair<std::string, ChildPathRights>> child_rule_specs;
  std::vector<ChildLandlockRule> child_rules;
  if (cp.landlock) {
    auto prepared = prepare_landlock(cp.landlock_policy,
                                     cp.mntns ? mounts.landlock_host_rules : rules_without_mount_ns(policy),
                                     host_.landlock_abi);
    if (!prepared) return tl::unexpected(prepared.error());
    landlock = std::move(*prepared);
    if (cp.mntns) {
      child_rule_specs = mounts.landlock_child_rules;
    } else {
      child_rule_specs = {{"/proc", ChildPathRights::read}};
      for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
        child_rule_specs.emplace_back(d, ChildPathRights::device_file);
      }
    }
    for (const auto& [path, rights] : child_rule_specs) {
      child_rules.push_back({path.c_str(), child_rule_access(rights, landlock.abi)});
    }
    if (report.applied(Control::landlock_fs)) {
      report.set(Control::landlock_fs, true, true, landlock.detail.empty() ? "ABI " + std::to_string(landlock.abi) : landlock.detail);
    }
  }
  tm.lap("landlock_ruleset");

  // 4. The run's cgroup. Controllers that fail to set up fail closed (or degrade).
  common::CgroupSetup cg_setup;
  cg_setup.name = "run-" + std::to_string(::getpid()) + "-" + std::to_string(run_counter_.fetch_add(1));
  if (cp.cgroup_memory) {
    cg_setup.limits.memory_bytes = policy.limits.memory_bytes;
    cg_setup.limits.swap_bytes = policy.limits.swap_bytes;
  }
  if (cp.cgroup_cpu) cg_setup.limits.cpu_cores = policy.limits.cpu_cores;
  if (cp.cgroup_pids) cg_setup.limits.pids = policy.limits.pids;
  cg_setup.want_v2_dir = host_.cgroups.clone_into_cgroup || host_.cgroups.cgroup_kill;
  common::RunCgroup cgroup = common::RunCgroup::create(host_.cgroups, cg_setup);
  struct LimitControl {
    Control c;
    const char* ctrl;
    bool planned;
    std::string what;
  };
  const std::uint64_t mem = policy.limits.memory_bytes.value_or(0);
  for (const LimitControl& l :
       {LimitControl{Control::cgroup_memory, "memory", cp.cgroup_memory,
                     std::to_string(mem >> 20) + " MiB" +
                         (policy.limits.swap_bytes ? " + swap " + std::to_string(*policy.limits.swap_bytes >> 20) + " MiB" : "")},
        LimitControl{Control::cgroup_cpu, "cpu", cp.cgroup_cpu,
                     format_cores(policy.limits.cpu_cores.value_or(0))},
        LimitControl{Control::cgroup_pids, "pids", cp.cgroup_pids,
                     std::to_string(policy.limits.pids.value_or(0)) + " pids"}}) {
    if (!l.planned) continue;
    const auto f = cgroup.failures().find(l.ctrl);
    const bool ok = f == cgroup.failures().end();
    if (auto s = settle_control(report, policy, l.c, ok, ok ? l.what + " via " + cgroup.where(l.ctrl) : f->second);
        !s) {
      return tl::unexpected(s.error());
    }
  }
  tm.lap("cgroup");

  // 5. Descriptors and the shared page.
  auto status = make_pipe();
  auto release = make_pipe();
  auto out_pipe = make_pipe();
  auto err_pipe = make_pipe();
  if (!status || !release || !out_pipe || !err_pipe) {
    return fail(ErrorCode::io_error, std::string("cannot create pipes: ") + std::strerror(errno));
  }
  UniqueFd stdin_r;
  UniqueFd stdin_w;
  if (cmd.stdin_data) {
    auto in_pipe = make_pipe();
    if (!in_pipe) return tl::unexpected(in_pipe.error());
    stdin_r = std::move(in_pipe->first);
    stdin_w = std::move(in_pipe->second);
  } else {
    stdin_r.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdin_r) return fail(ErrorCode::io_error, std::string("open /dev/null: ") + std::strerror(errno));
  }
  SharedPage shared;
  CommandStack stack;
  if (shared.get() == nullptr || stack.base() == nullptr) {
    return fail(ErrorCode::io_error, std::string("mmap: ") + std::strerror(errno));
  }

  std::vector<int> keep = {release->first.get(), status->second.get(), stdin_r.get(),
                           out_pipe->second.get(), err_pipe->second.get()};
  for (const auto& fd : mounts.fds) keep.push_back(fd.get());
  if (cp.landlock) keep.push_back(landlock.ruleset_fd);
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

  ChildPlan plan;
  plan.keep_fds = keep.data();
  plan.keep_count = keep.size();
  plan.release_fd = release->first.get();
  plan.status_fd = status->second.get();
  plan.stdin_fd = stdin_r.get();
  plan.stdout_fd = out_pipe->second.get();
  plan.stderr_fd = err_pipe->second.get();
  plan.shared = shared.get();
  plan.switch_ids = cp.userns || options_.identity.caller_uid == 0;
  plan.uid = cp.inside_uid;
  plan.gid = cp.inside_gid;
  plan.drop_supplementary_groups = !cp.deny_setgroups;
  plan.unshare_cgroup_ns = cp.cgroupns;
  plan.build_root = cp.mntns;
  plan.mounts = mounts.ops.data();
  plan.mount_count = mounts.ops.size();
  if (cp.utsns) {
    plan.hostname = policy.hostname.c_str();
    plan.hostname_len = policy.hostname.size();
  }
  plan.loopback_up = cp.loopback_up;
  plan.workdir = mounts.workdir.c_str();
  if (!cp.mntns && !policy.fs.workdir.empty()) plan.workdir = policy.fs.workdir.c_str();
  plan.rlimits = &rlimits;
  plan.landlock_rules = child_rules.data();
  plan.landlock_rule_count = child_rules.size();
  plan.capabilities = &*caps;
  plan.landlock = cp.landlock ? &landlock : nullptr;
  plan.seccomp = cp.seccomp ? &seccomp : nullptr;
  plan.argv = args.argv.data();
  plan.envp = args.envp.data();
  plan.exec_paths = const_cast<const char* const*>(args.exec_paths.data());
  plan.exec_path_count = args.exec_paths.size();
  plan.command_stack = stack.base();
  plan.command_stack_size = CommandStack::kSize;
  plan.arg_area = arg_area_;
  plan.arg_area_len = arg_area_len_;

  // 6. Clone.
  PlaceholderLease lease(placeholders_, mounts.placeholders);
  SpawnRequest req;
  req.namespaces = (cp.userns ? CLONE_NEWUSER : 0ul) | (cp.pidns ? CLONE_NEWPID : 0ul) |
                   (cp.mntns ? CLONE_NEWNS : 0ul) | (cp.netns ? CLONE_NEWNET : 0ul) |
                   (cp.ipcns ? CLONE_NEWIPC : 0ul) | (cp.utsns ? CLONE_NEWUTS : 0ul);
  req.cgroup_fd = host_.cgroups.clone_into_cgroup ? cgroup.v2_fd() : -1;
  req.force_legacy_clone = options_.force_legacy_clone;
  req.plan = &plan;
  auto spawned = spawn_child(req);
  if (!spawned) return tl::unexpected(spawned.error());
  const int pidfd = spawned->pidfd.get();
  ChildGuard guard(pidfd);
  // The child has its copies; ours would keep the pipes open and hide EOF.
  release->first.reset();
  status->second.reset();
  stdin_r.reset();
  out_pipe->second.reset();
  err_pipe->second.reset();
  mounts.fds.clear();
  tm.lap("clone");

  // 7. Cgroup membership (v1 always; v2 unless born there), id maps, release.
  if (auto r = cgroup.add_pid(spawned->pid, !spawned->into_cgroup); !r) return tl::unexpected(r.error());
  tm.lap("cgroup_attach");
  if (cp.write_id_maps) {
    if (auto r = write_id_maps(spawned->pid, cp.inside_uid, cp.host_uid, cp.inside_gid, cp.host_gid,
                               cp.deny_setgroups);
        !r) {
      return tl::unexpected(r.error());
    }
  }
  tm.lap("id_maps");
  const std::uint64_t release_ns = mono_ns();
  const auto deadline = Clock::now() + policy.limits.wall_timeout;
  if (::write(release->second.get(), "G", 1) != 1) {
    return fail(ErrorCode::setup_failed, std::string("releasing the child: ") + std::strerror(errno),
                {{"stage", "release"}});
  }

  // 8. Until execve: the child reports the first failing stage.
  const SetupOutcome setup = wait_for_exec(status->first.get(), pidfd, deadline);
  const std::uint64_t exec_seen_ns = mono_ns();
  if (setup.timed_out) {
    return fail(ErrorCode::setup_failed, "sandbox setup did not finish within the wall-clock timeout",
                {{"stage", "setup"}});
  }
  if (setup.record && static_cast<ChildStage>(setup.record->stage) != ChildStage::exec) {
    const StatusRecord& r = *setup.record;
    return fail(ErrorCode::setup_failed, describe_record(r, mounts),
                {{"stage", std::string(stage_name(static_cast<ChildStage>(r.stage)))},
                 {"errno", std::to_string(r.error)}});
  }

  // 9. Run: capture, deadline, whole-tree kill.
  common::SuperviseRequest sr;
  sr.pidfd = pidfd;
  sr.stdout_fd = std::move(out_pipe->first);
  sr.stderr_fd = std::move(err_pipe->first);
  sr.stdin_fd = std::move(stdin_w);
  if (cmd.stdin_data) sr.stdin_data = *cmd.stdin_data;
  sr.output_cap = policy.limits.output_bytes;
  sr.deadline = deadline;
  sr.drain_grace = options_.drain_grace;
  const bool use_cgroup_kill = host_.cgroups.cgroup_kill;
  sr.kill_tree = [&cgroup, pidfd, use_cgroup_kill] {
    kill_pidfd(pidfd);
    cgroup.kill_all(use_cgroup_kill);
  };
  auto outcome = common::supervise(std::move(sr));
  if (!outcome) return tl::unexpected(outcome.error());
  guard.disarm();  // reaped by supervise
  const std::uint64_t exited_ns = mono_ns();

  // 10. What happened, from the kernel's records.
  const common::CgroupReadback cg = cgroup.read_back();
  cgroup.kill_all(use_cgroup_kill);
  cgroup.destroy();
  ChildShared* sh = shared.get();
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
  if (policy.limits.cpu_time_seconds && !result.timed_out) {
    // RLIMIT_CPU ends a process with SIGXCPU (soft) or SIGKILL (hard); a shell in between turns
    // that into 128+signal. Count it only when the CPU time came close to the limit: rusage is
    // tick-sampled and trails the kernel's exact accounting (0.90 s measured at a 1 s kill).
    const double limit_ms = static_cast<double>(*policy.limits.cpu_time_seconds) * 1e3;
    const int sig = result.signal.value_or(result.exit_code.value_or(0) > 128 ? *result.exit_code - 128 : 0);
    result.cpu_limit_hit = !result.oom_killed && (sig == SIGXCPU || sig == SIGKILL) &&
                           result.usage.user_cpu_ms + result.usage.sys_cpu_ms >= limit_ms * 0.8;
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

  // Timings: parent stages so far, the child's stages from its timestamps, then the run.
  std::uint64_t prev = release_ns;
  for (std::size_t i = 0; i < static_cast<std::size_t>(ChildStage::exec); ++i) {
    const std::uint64_t done = __atomic_load_n(&sh->stage_done_ns[i], __ATOMIC_ACQUIRE);
    if (done == 0) continue;
    tm.add(std::string(stage_name(static_cast<ChildStage>(i))), ms_between(prev, done));
    prev = done;
  }
  tm.add("exec", ms_between(prev, exec_seen_ns));
  tm.add("run", ms_between(exec_seen_ns, exited_ns));
  tm.add("teardown", ms_between(exited_ns, mono_ns()));
  result.timings = std::move(tm.items);
  result.duration_ms = ms_between(start_ns, mono_ns());

  result.enforcement = std::move(report);
  result.backend_info["clone"] = spawned->used_clone3 ? "clone3" : "clone";
  result.backend_info["cgroup_placement"] = spawned->into_cgroup ? "CLONE_INTO_CGROUP" : "cgroup.procs";
  result.backend_info["uid_map"] = std::to_string(cp.inside_uid) + " -> " + std::to_string(cp.host_uid);
  result.backend_info["gid_map"] = std::to_string(cp.inside_gid) + " -> " + std::to_string(cp.host_gid);
  result.backend_info["stdout_bytes_total"] = std::to_string(outcome->stdout_total);
  result.backend_info["stderr_bytes_total"] = std::to_string(outcome->stderr_total);
  if (outcome->output_cut) result.backend_info["output_cut"] = "pipes still open after the tree died";
  if (cp.landlock) result.backend_info["landlock_abi"] = std::to_string(landlock.abi);
  if (cp.idmap_writable && mounts.writable_entries > 0) {
    result.backend_info["writable_paths"] = idmap_notes.empty() ? "idmapped" : idmap_notes.front();
  }
  if (mounts.protected_masks > 0) result.backend_info["protected_masks"] = std::to_string(mounts.protected_masks);
  return result;
}

}  // namespace kavach::process
