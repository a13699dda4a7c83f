// ProcessBackend::prepare: everything up to the release of the sandbox's PID 1. Prepare in the
// parent (policy checks, seccomp BPF, mount plan, Landlock ruleset, cgroup, argv/envp), clone
// the child into its namespaces, place it in the cgroups, write its id maps, release it.
// A cold start releases it with the command in its plan; a warm start (WarmPool) releases it to
// finish every policy step and wait, ready, for one command (see run_prepared() in process_exec.cpp).
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "backends/common/cpu_backstop.hpp"
#include "backends/common/disk_control.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/process/command_args.hpp"
#include "backends/process/prepared_sandbox.hpp"
#include "backends/process/process_backend_impl.hpp"
#include "backends/process/spawn.hpp"
#include "backends/process/stage_clock.hpp"
#include "kavach/network.hpp"

namespace kavach::process {

template <typename T>
SharedMapping<T>::SharedMapping() {
  void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
  if (p != MAP_FAILED) ptr_ = static_cast<T*>(p);
}
template <typename T>
SharedMapping<T>::~SharedMapping() {
  if (ptr_ != nullptr) ::munmap(ptr_, sizeof(T));
}
template class SharedMapping<ChildShared>;
template class SharedMapping<CommandArea>;

PreparedSandbox::~PreparedSandbox() {
  if (pidfd && !reaped) {
    release_w.reset();  // a pooled PID 1 reads EOF and leaves
    kill_pidfd(pidfd.get());
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(3) /* P_PIDFD */, static_cast<id_t>(pidfd.get()), &info,
                    WEXITED | __WALL) < 0 && errno == EINTR) {
    }
    cgroup.kill_all(use_cgroup_kill);
  }
  cgroup.destroy();
}

namespace {

using common::UniqueFd;

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorCode::io_error, std::string("pipe2: ") + std::strerror(errno), {{"stage", "pipes"}});
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

// Stack for the command's CLONE_VM start inside the sandbox (copied into PID 1 at clone; the
// parent's copy is unmapped right after clone).
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

Result<void> hold_disk_quota(PreparedSandbox& sb, const SandboxPolicy& policy) {
  if (!sb.cp.disk_quota || !policy.limits.disk_bytes) return {};
  common::DiskLimit d = common::limit_disk(policy.fs.writable_paths, *policy.limits.disk_bytes,
                                           policy.may_degrade.count(Control::disk) != 0);
  if (auto s = settle_control(sb.cp.report, policy, Control::disk, d.applied, d.text); !s) return s;
  sb.disk_quota = std::move(d.quota);
  return {};
}

Result<std::unique_ptr<PreparedSandbox>> ProcessBackend::prepare(const ValidPolicy& valid, const Command* cmd) {
  const SandboxPolicy& policy = valid;
  auto sb = std::make_unique<PreparedSandbox>();
  const bool warm = cmd == nullptr;
  sb->warm = warm;
  sb->start_ns = mono_ns();
  StageClock tm(sb->start_ns);

  // 1. What the policy asks and what this host can do; fail closed here.
  auto planned = plan_controls(host_, policy, options_.identity);
  if (!planned) return tl::unexpected(planned.error());
  sb->cp = std::move(*planned);
  ControlPlan& cp = sb->cp;
  EnforcementReport& report = cp.report;
  CommandArrays args;
  if (!warm) {
    if (auto r = build_command_arrays(policy, *cmd, args); !r) return tl::unexpected(r.error());
  }
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
    if (policy.seccomp.mode != SeccompMode::none) {
      report.set(Control::seccomp, true, true, seccomp.description,
                 std::string(to_string(policy.seccomp.mode)));
    }
    report.set(Control::host_safety, true, true,
               "seccomp refuses set-id modes (chmod, open, creat, mknod families), device nodes, "
               "openat2 and io_uring; CAP_SETFCAP is never kept (no file capabilities)");
  }
  tm.lap("seccomp_compile");

  // 2. Filesystem view (with the guard's binary when paths are protected).
  // A session's init is the same binary (kavach-guard --session).
  std::filesystem::path guard_binary;
  bool guarding = false;
  const bool session_init = !warm && cmd->session_init;
  if (cp.guard || session_init) {
    auto bin = common::find_guard_binary();
    if (bin) {
      guard_binary = *bin;
      guarding = cp.guard;
    } else if (session_init) {
      return tl::unexpected(bin.error());
    } else if (auto s = settle_control(report, policy, Control::protected_paths, false, bin.error().message); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (session_init) {
    // In its own /dev when the sandbox has a mount namespace, else where it is on the host.
    const std::string at = cp.mntns ? std::string(common::kGuardPathInSandbox) : guard_binary.string();
    args.argv.clear();
    args.argv.push(at);
    args.argv.push("--session");
    args.exec_paths.clear();
    args.exec_paths.push(at);
  }
  MountPlan mounts;
  static const std::vector<InjectedFile> kNoFiles;
  const std::vector<InjectedFile>& files = warm ? kNoFiles : cmd->files;
  if (cp.mntns) {
    MountPlanInput in;
    in.fs = &policy.fs;
    in.view = filesystem_view(policy);
    in.files = &files;
    in.mount_proc = cp.pidns;
    in.guard_binary = guard_binary;
    if (cp.idmap_writable) {
      in.writable_tree = [this, &sb](const std::filesystem::path& p) -> Result<UniqueFd> {
        auto tree = idmap_.idmapped_tree(p);
        if (tree) return tree;
        sb->idmap_notes.push_back(tree.error().message + "; plain bind used");
        return UniqueFd();
      };
    }
    auto built = build_mount_plan(in);
    if (!built) return tl::unexpected(built.error());
    mounts = std::move(*built);
  } else if (!files.empty()) {
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
    sb->landlock_abi = landlock.abi;
  }
  tm.lap("landlock_ruleset");

  // 4. The run's cgroup. Controllers that fail to set up fail closed (or degrade).
  common::CgroupSetup cg_setup;
  if (cp.cgroup_memory) {
    cg_setup.limits.memory_bytes = policy.limits.memory_bytes;
    cg_setup.limits.swap_bytes = policy.limits.swap_bytes;
  }
  if (cp.cgroup_cpu) cg_setup.limits.cpu_cores = policy.limits.cpu_cores;
  if (cp.cgroup_pids) cg_setup.limits.pids = policy.limits.pids;
  cg_setup.want_v2_dir = host_.cgroups.clone_into_cgroup || host_.cgroups.cgroup_kill || cp.cpu_time_tree;
  cg_setup.cpu_accounting = cp.cpu_time_tree;
  cg_setup.name = next_run_cgroup_name();
  sb->cgroup = common::RunCgroup::create(host_.cgroups, cg_setup);
  sb->use_cgroup_kill = host_.cgroups.cgroup_kill;
  common::RunCgroup& cgroup = sb->cgroup;
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
  if (cp.cpu_time_tree) {
    const auto f = cgroup.failures().find("cpuacct");
    const bool ok = f == cgroup.failures().end() && !cgroup.cpu_accounting_where().empty();
    const std::string what = std::to_string(*policy.limits.cpu_time_seconds) +
                             " s for the whole tree: " + cgroup.cpu_accounting_where() + " " +
                             common::cpu_watch_detail() + " (tree killed with SIGKILL)";
    if (auto s = settle_control(report, policy, Control::cpu_time, ok,
                                ok ? what : (f == cgroup.failures().end() ? "no CPU accounting file" : f->second) +
                                                ": RLIMIT_CPU alone limits each process, not the tree");
        !s) {
      return tl::unexpected(s.error());
    }
  }
  if (report.applied(Control::cpu_time)) {
    // The watch kills the tree at the limit; RLIMIT_CPU above it is the backstop.
    rlimits = prepare_rlimits(policy.limits, common::kCpuBackstopSlackSeconds);
    report.set(Control::rlimits, true, true,
               rlimits.detail + " (cpu: backstop " + std::to_string(common::kCpuBackstopSlackSeconds) +
                   " s above the tree-wide limit)");
  }
  if (cp.cgroupns && report.applied(Control::ns_cgroup)) {
    report.set(Control::ns_cgroup, true, true,
               cgroup.has_dirs() ? "new cgroup namespace rooted at the run's cgroup"
                                 : "new cgroup namespace, rooted at the launcher's own cgroups (no run cgroup was made)");
  }
  tm.lap("cgroup");
  if (!warm && cp.disk_quota) {  // a warm sandbox takes its quota at the hand-over: pooled ones hold none
    if (auto r = hold_disk_quota(*sb, policy); !r) return tl::unexpected(r.error());
    tm.lap("disk_quota");
  }

  // 5. Descriptors and the shared pages.
  auto status = make_pipe();
  auto release = make_pipe();
  auto out_pipe = make_pipe();
  auto err_pipe = make_pipe();
  if (!status || !release || !out_pipe || !err_pipe) {
    return fail(ErrorCode::io_error, std::string("cannot create pipes: ") + std::strerror(errno));
  }
  // stdin: cold, /dev/null unless the command brings data; warm, always a pipe (its stdio is
  // set up before the command is known), closed at once when there is no data: EOF.
  UniqueFd stdin_r;
  if (warm || cmd->stdin_data || cmd->stdin_fd >= 0) {
    auto in_pipe = make_pipe();
    if (!in_pipe) return tl::unexpected(in_pipe.error());
    stdin_r = std::move(in_pipe->first);
    sb->stdin_w = std::move(in_pipe->second);
  } else {
    stdin_r.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdin_r) return fail(ErrorCode::io_error, std::string("open /dev/null: ") + std::strerror(errno));
  }
  // Terminal: PID 1 sends the PTY master (of the sandbox's devpts) over this socket pair.
  UniqueFd terminal_child;
  const bool terminal = !warm && cmd->terminal.has_value();
  if (terminal) {
    if (!cp.mntns) {
      return fail(ErrorCode::invalid_argument, "a terminal needs the sandbox's own devpts, which needs a mount namespace");
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return fail(ErrorCode::io_error, std::string("socketpair: ") + std::strerror(errno), {{"stage", "terminal"}});
    }
    sb->terminal_r.reset(sv[0]);
    terminal_child.reset(sv[1]);
  }
  // Allowlist: PID 1 makes the egress proxy's listener inside the new network namespace and
  // sends it over this pair; run_prepared() serves it from the host's side.
  UniqueFd egress_child;
  if (cp.egress_listener) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return fail(ErrorCode::io_error, std::string("socketpair: ") + std::strerror(errno), {{"stage", "network"}});
    }
    sb->egress_r.reset(sv[0]);
    egress_child.reset(sv[1]);
  }
  if (warm) sb->command_area = std::make_unique<SharedMapping<CommandArea>>();
  CommandStack stack;
  if (sb->shared.get() == nullptr || stack.base() == nullptr ||
      (warm && sb->command_area->get() == nullptr)) {
    return fail(ErrorCode::io_error, std::string("mmap: ") + std::strerror(errno));
  }

  auto join_files = cgroup.v1_join_files();
  if (!join_files) return tl::unexpected(join_files.error());
  std::vector<int> join_fds;
  for (const auto& fd : *join_files) join_fds.push_back(fd.get());

  if (guarding) {
    // The command runs behind kavach-guard; a warm start wraps its command at the hand-over.
    sb->guard_roots = mounts.writable_targets;
    sb->guard_status_fd = status->second.get();
    if (!warm) {
      if (auto r = wrap_with_guard(policy, sb->guard_roots, sb->guard_status_fd, args); !r) {
        return tl::unexpected(r.error());
      }
    }
    if (auto s = settle_control(report, policy, Control::protected_paths, true,
                                std::to_string(policy.fs.protected_paths.size()) +
                                    " protected paths (relative ones at every depth) below " +
                                    std::to_string(sb->guard_roots.size()) +
                                    " writable paths: creating, renaming onto, linking, chmod-ing or "
                                    "writing them is refused by kavach-guard (EACCES); existing ones "
                                    "are also read-only binds; nothing is created on the host");
        !s) {
      return tl::unexpected(s.error());
    }
  }

  std::vector<int> keep = {release.value().first.get(), status.value().second.get(),
                           out_pipe.value().second.get(), err_pipe.value().second.get(), stdin_r.get()};
  keep.insert(keep.end(), join_fds.begin(), join_fds.end());
  for (const auto& fd : mounts.fds) keep.push_back(fd.get());
  if (cp.landlock) keep.push_back(landlock.ruleset_fd);
  if (terminal_child) keep.push_back(terminal_child.get());
  if (egress_child) keep.push_back(egress_child.get());
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());

  ChildPlan plan;
  plan.keep_fds = keep.data();
  plan.keep_count = keep.size();
  plan.close_other_fds = !options_.unsafe_keep_inherited_fds_for_tests;
  plan.release_fd = release->first.get();
  plan.status_fd = status->second.get();
  plan.stdin_fd = stdin_r.get();
  plan.stdout_fd = out_pipe->second.get();
  plan.stderr_fd = err_pipe->second.get();
  plan.shared = sb->shared.get();
  plan.command_area = warm ? sb->command_area->get() : nullptr;
  plan.cgroup_join_fds = join_fds.data();
  plan.cgroup_join_count = join_fds.size();
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
  if (egress_child) {
    plan.egress_sock = egress_child.get();
    plan.egress_port = kEgressProxyPort;
  }
  plan.workdir = mounts.workdir.c_str();
  if (!cp.mntns && !policy.fs.workdir.empty()) plan.workdir = policy.fs.workdir.c_str();
  plan.rlimits = &rlimits;
  plan.landlock_rules = child_rules.data();
  plan.landlock_rule_count = child_rules.size();
  plan.capabilities = &*caps;
  plan.landlock = cp.landlock ? &landlock : nullptr;
  plan.seccomp = cp.seccomp ? &seccomp : nullptr;
  plan.status_fd_to_guard = guarding;
  if (terminal) {
    plan.terminal = true;
    plan.terminal_sock = terminal_child.get();
    plan.terminal_rows = cmd->terminal->size.rows;
    plan.terminal_cols = cmd->terminal->size.cols;
  }
  if (!warm) {
    plan.argv = args.argv.data();
    plan.envp = args.envp.data();
    plan.exec_paths = const_cast<const char* const*>(args.exec_paths.data());
    plan.exec_path_count = args.exec_paths.size();
  }
  plan.command_stack = stack.base();
  plan.command_stack_size = CommandStack::kSize;
  plan.arg_area = arg_area_;
  plan.arg_area_len = arg_area_len_;

  // 6. Clone. The child works on its copy of everything above; ours is freed on return.
  SpawnRequest req;
  req.namespaces = (cp.userns ? CLONE_NEWUSER : 0ul) | (cp.pidns ? CLONE_NEWPID : 0ul) |
                   (cp.mntns ? CLONE_NEWNS : 0ul) | (cp.netns ? CLONE_NEWNET : 0ul) |
                   (cp.ipcns ? CLONE_NEWIPC : 0ul) | (cp.utsns ? CLONE_NEWUTS : 0ul);
  req.cgroup_fd = host_.cgroups.clone_into_cgroup ? cgroup.v2_fd() : -1;
  req.force_legacy_clone = options_.force_legacy_clone;
  req.plan = &plan;
  auto spawned = spawn_child(req);
  if (!spawned) return tl::unexpected(spawned.error());
  sb->pid = spawned->pid;
  sb->pidfd = std::move(spawned->pidfd);
  sb->used_clone3 = spawned->used_clone3;
  sb->into_cgroup = spawned->into_cgroup;
  // Keep the mount namespace referenced: when the run ends, its last reference then drops with
  // the PreparedSandbox (on the helper thread, after the result is out) instead of inside
  // PID 1's exit, which the caller waits for.
  if (cp.mntns) {
    sb->mnt_ns.reset(::open(("/proc/" + std::to_string(sb->pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
  }
  // The child has its copies; ours would keep the pipes open and hide EOF.
  sb->status_r = std::move(status->first);
  sb->release_w = std::move(release->second);
  sb->stdout_r = std::move(out_pipe->first);
  sb->stderr_r = std::move(err_pipe->first);
  sb->op_text = std::move(mounts.op_text);
  sb->writable_entries = mounts.writable_entries;
  sb->protected_masks = mounts.protected_masks;
  sb->protected_roots = mounts.protected_roots;
  sb->protected_key = mounts.protected_key;
  tm.lap("clone");

  // 7. Cgroup membership (v1: the child joins itself; v2 unless born there), id maps, release.
  join_files->clear();
  if (auto r = cgroup.add_pid(sb->pid, !sb->into_cgroup, false); !r) return tl::unexpected(r.error());
  tm.lap("cgroup_attach");
  if (cp.write_id_maps) {
    if (auto r = write_id_maps(sb->pid, cp.inside_uid, cp.host_uid, cp.inside_gid, cp.host_gid,
                               cp.deny_setgroups);
        !r) {
      return tl::unexpected(r.error());
    }
  }
  tm.lap("id_maps");
  sb->release_ns = mono_ns();
  sb->deadline = std::chrono::steady_clock::now() + policy.limits.wall_timeout;
  const char go = warm ? kReleaseWarm : kReleaseCold;
  if (::write(sb->release_w.get(), &go, 1) != 1) {
    return fail(ErrorCode::setup_failed, std::string("releasing the child: ") + std::strerror(errno),
                {{"stage", "release"}});
  }
  sb->timings = std::move(tm.items);
  return sb;
}

}  // namespace kavach::process
