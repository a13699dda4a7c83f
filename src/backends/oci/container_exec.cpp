#include "backends/oci/container_exec.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "backends/common/cgroup.hpp"
#include "backends/common/cpu_backstop.hpp"
#include "backends/common/disk_control.hpp"
#include "backends/common/egress_bridge.hpp"
#include "backends/common/egress_netns.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/oci/bundle.hpp"
#include "backends/oci/cgroup_stats.hpp"
#include "backends/oci/container_run.hpp"
#include "backends/oci/controls.hpp"
#include "backends/oci/injected_files.hpp"
#include "backends/oci/mount_plan.hpp"
#include "backends/oci/outcome.hpp"
#include "backends/oci/rootfs.hpp"
#include "backends/oci/runtime.hpp"
#include "backends/oci/seccomp_json.hpp"
#include "backends/oci/spec.hpp"
#include "backends/oci/state_dirs.hpp"
#include "kavach/network.hpp"
#include "network/egress_proxy.hpp"

namespace kavach::oci {
namespace {

using Clock = std::chrono::steady_clock;

void wipe_strings(std::vector<std::string>& v) {
  for (auto& s : v) ::explicit_bzero(s.data(), s.size());
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string gvisor_platform(const OciPolicy& oci, const HostInfo& host, std::string& why) {
  if (oci.gvisor_platform == "kvm") {
    why = host.kvm_usable ? "kvm (policy)" : "";
    return host.kvm_usable ? "kvm" : "";
  }
  // runsc 20221219 knows ptrace and kvm only (no systrap); its KVM platform spun at 100% CPU
  // without starting a container on the kernel 6.x hosts we measured, so "auto" is ptrace.
  why = oci.gvisor_platform == "ptrace" ? "ptrace (policy)" : "ptrace (auto: runsc's KVM platform is not used unasked)";
  return "ptrace";
}

class ContainerExec {
 public:
  explicit ContainerExec(const ContainerExecInput& in)
      : in_(in), kind_(in.kind), host_(*in.host), policy_(*in.policy), cmd_(*in.command), info_(result_.backend_info) {}

  Result<ExecResult> execute() {
    if (auto r = prepare(); !r) return tl::unexpected(r.error());
    lap("prepare");
    if (auto r = make_bundle(); !r) return tl::unexpected(r.error());
    auto outcome = run();
    if (!outcome) return tl::unexpected(outcome.error());
    read_back();
    return decode(std::move(*outcome));
  }

 private:
  void lap(const char* stage) {
    timings_.push_back({stage, ms_since(t_)});
    t_ = Clock::now();
  }

  // 1. Runtime, controls, seccomp: fail closed here, before anything is created.
  Result<void> prepare() {
    if (cmd_.argv.empty() || cmd_.argv.front().empty()) {
      return fail(ErrorCode::invalid_argument, "command is empty: argv[0] must name a program");
    }
    if (cmd_.terminal) {
      return fail(ErrorCode::invalid_argument,
                  "a terminal (-t) is not relayed by the " + std::string(to_string(kind_)) +
                      " backend yet: the process backend runs commands on a PTY",
                  {{"backend", std::string(to_string(kind_))}});
    }
    auto rt = choose_runtime(kind_, host_, policy_.oci, in_.runtime_override);
    if (!rt) return tl::unexpected(rt.error());
    rt_ = std::move(*rt);
    auto controls = plan_oci_controls(kind_, host_, policy_, rt_);
    if (!controls) return tl::unexpected(controls.error());
    controls_ = std::move(*controls);
    auto env = container_env(policy_, cmd_.env);
    if (!env) return tl::unexpected(env.error());
    spec_.env = std::move(*env);
    auto caps = capability_set(policy_.keep_capabilities);
    if (!caps) return tl::unexpected(caps.error());
    spec_.capabilities = std::move(*caps);
    if (controls_.seccomp) {
      auto program = build_seccomp_program(policy_.seccomp);
      if (!program) return tl::unexpected(program.error());
      std::string adapted;
      spec_.seccomp = kind_ == BackendKind::gvisor ? seccomp_to_oci_for_gvisor(*program, adapted) : seccomp_to_oci(*program);
      if (policy_.seccomp.mode != SeccompMode::none) {
        const ControlStatus* st = controls_.report.find(Control::seccomp);
        controls_.report.set(Control::seccomp, true, true,
                             program->description + "; " + (st ? st->detail : "") + (adapted.empty() ? "" : "; " + adapted),
                             std::string(to_string(policy_.seccomp.mode)));
      }
    }
    return {};
  }

  Result<RuntimeCommand> runtime_command(const StateDirs& dirs, const std::filesystem::path& log) {
    RuntimeCommand c{rt_, {}};
    const auto root = dirs.runtime_root(rt_.name);
    if (auto r = make_dirs(root, 0700); !r) return tl::unexpected(r.error());
    c.global_args = {"--root", root.string(), "--log", log.string(), "--log-format", "json"};
    if (rt_.flavor == RuntimeFlavor::runsc) {
      std::string why;
      const std::string platform = gvisor_platform(policy_.oci, host_, why);
      if (platform.empty()) {
        return fail(ErrorCode::control_unavailable, "oci.gvisor_platform = \"kvm\" but /dev/kvm is not usable here",
                    {{"platform", "kvm"}});
      }
      c.global_args.push_back("--platform=" + platform);
      // Global flags: every runsc call for this container must repeat them.
      c.global_args.push_back("--network=none");  // network mode host is refused for runsc (controls.cpp)
      // Troubleshooting: the sentry's, gofer's and runsc's debug logs in a directory of your choice.
      if (const char* dbg = std::getenv("KAVACH_RUNSC_DEBUG_LOG"); dbg != nullptr && *dbg == '/') {
        c.global_args.push_back("--debug");
        c.global_args.push_back(std::string("--debug-log=") + dbg + "/");
      }
      if (controls_.seccomp) c.global_args.push_back("--oci-seccomp");
      // Allowlist: kavach-egress-bridge connects to the proxy's socket through the gofer.
      if (controls_.egress_bridge) c.global_args.push_back("--host-uds=open");
      info_["gvisor_platform"] = why;
      info_["gvisor_version"] = rt_.version;
    }
    return c;
  }

  // 2. The bundle: root filesystem, mounts, disk quota, config.json.
  Result<void> make_bundle() {
    // Injected variables (the credential proxy's env secrets) go into config.json and, for
    // runsc, into the runtime's state: such a run keeps both on a memory filesystem, or does not run.
    auto dirs = state_dirs(!cmd_.env.empty() || !cmd_.files.empty());
    if (!dirs) return tl::unexpected(dirs.error());
    id_ = new_container_id();
    auto rtc = runtime_command(*dirs, dirs->bundles() / id_ / "runtime.log");
    if (!rtc) return tl::unexpected(rtc.error());
    rtc_ = std::move(*rtc);
    std::optional<uid_t> mapped_root;
    if (host_.user_namespaces) mapped_root = kHostIdBase;  // container uid 0 (IdMapping below)
    auto bundle = Bundle::create(*dirs, id_, rtc_, host_uid(), host_gid(), mapped_root);
    if (!bundle) return tl::unexpected(bundle.error());
    bundle_ = std::move(*bundle);
    auto root = prepare_rootfs(policy_.oci, bundle_->dir(), host_, kIds);
    if (!root) return tl::unexpected(root.error());
    root_ = std::move(*root);
    lap("rootfs");
    if (auto r = plan_and_mount(); !r) return r;
    lap("mounts");
    if (policy_.limits.disk_bytes) {
      // The container's writable binds are the host directories themselves (idmapped copies
      // share their inodes), plus the root when it is writable.
      std::vector<std::filesystem::path> quota_dirs = policy_.fs.writable_paths;
      if (!policy_.fs.readonly_root) quota_dirs.push_back(root_.path);
      common::DiskLimit d = common::limit_disk(quota_dirs, *policy_.limits.disk_bytes,
                                               policy_.may_degrade.count(Control::disk) != 0);
      if (auto s = settle_control(controls_.report, policy_, Control::disk, d.applied, d.text); !s) return s;
      disk_quota_ = std::move(d.quota);
      lap("disk_quota");
    }
    if (auto r = write_spec(); !r) return r;
    lap("spec");
    return {};
  }

  Result<void> plan_and_mount() {
    // Writable paths through idmapped copies, so the container user (an unprivileged host id)
    // writes there as the directory's owner. Keyed by the real path, where the plan binds them.
    std::map<std::string, std::string> writable_source;
    for (const auto& w : policy_.fs.writable_paths) {
      std::error_code ec;
      const auto real = std::filesystem::weakly_canonical(w, ec);
      const auto p = ec ? w.lexically_normal() : real;
      auto copy = bundle_->idmaps().attach(p);
      writable_source[p.string()] = copy ? copy->string() : p.string();
      if (!copy) {
        writable_note_ += (writable_note_.empty() ? "" : "; ") + copy.error().message +
                          " (plain bind: writable only where host permissions allow uid " + std::to_string(host_uid()) + ")";
      }
    }
    mpi_.policy = &policy_;
    auto files = write_injected_files(bundle_->dir() / "files", cmd_.files, host_uid(), host_gid());
    if (!files) return tl::unexpected(files.error());
    mpi_.injected_files = std::move(*files);
    if (controls_.guard || cmd_.session_init) {  // a session's init is the same binary
      auto bin = common::find_guard_binary();
      if (bin) {
        mpi_.guard_binary = *bin;
        guarding_ = controls_.guard;
      } else if (cmd_.session_init) {
        return tl::unexpected(bin.error());
      } else if (auto s = settle_control(controls_.report, policy_, Control::protected_paths, false, bin.error().message); !s) {
        return s;
      }
    }
    if (controls_.egress_bridge) {
      auto bin = common::find_egress_bridge_binary();
      if (!bin) return tl::unexpected(bin.error());
      mpi_.egress_bridge_binary = *bin;
      mpi_.egress_socket_dir = bundle_->dir() / "egress";
    }
    mpi_.rootfs = root_.kind;
    mpi_.readonly_sysfs = kind_ == BackendKind::gvisor;
    mpi_.writable_source = [writable_source](const std::filesystem::path& p) {
      auto it = writable_source.find(p.string());
      return it == writable_source.end() ? p.string() : it->second;
    };
    auto plan = plan_mounts(mpi_);
    if (!plan) return tl::unexpected(plan.error());
    plan_ = std::move(*plan);
    return populate_rootfs(root_, plan_);
  }

  Result<void> write_spec() {
    SpecInput& in = spec_;
    in.args = cmd_.argv;
    if (cmd_.session_init) in.args = {common::kGuardPathInSandbox, "--session"};
    if (guarding_) {
      // The command runs behind kavach-guard, which refuses creating or changing protected paths.
      common::GuardCommandInput gi;
      gi.policy = &policy_;
      gi.writable_roots = plan_.writable_targets;
      gi.command = in.args;
      auto guard = common::guard_command(gi);
      if (!guard) return tl::unexpected(guard.error());
      in.args = std::move(guard->argv);
      in.args.front() = common::kGuardPathInSandbox;
      if (auto s = settle_control(controls_.report, policy_, Control::protected_paths, true, guard->detail); !s) return s;
    }
    if (controls_.egress_bridge) in.args = common::egress_bridge_argv(kEgressProxyPort, in.args);
    in.cwd = plan_.cwd;
    in.uid = policy_.uid;
    in.gid = policy_.gid;
    in.hostname = policy_.hostname;
    in.root_path = root_.path.string();
    in.readonly_root = policy_.fs.readonly_root;
    in.mounts = plan_.mounts;
    in.masked_paths = plan_.masked_paths;
    in.readonly_paths = plan_.readonly_paths;
    if (host_.user_namespaces) in.id_mapping = kIds;
    in.network_namespace = controls_.network_namespace;
    // Allowlist: a namespace kavach made (lo + the egress proxy's listener) for the runtime to join.
    if (controls_.egress_netns) {
      auto made = common::EgressNetns::make(kEgressProxyPort);
      if (!made) return tl::unexpected(made.error());
      egress_ns_ = std::move(*made);
      in.network_namespace_path = egress_ns_->path();
    }
    cgroups_path_ = "kavach/" + id_;
    in.cgroups_path = cgroups_path_;
    limits_ = policy_.limits;
    if (!controls_.memory) limits_.memory_bytes.reset();
    if (!controls_.cpu) limits_.cpu_cores.reset();
    if (!controls_.pids) limits_.pids.reset();
    in.resources = resources_json(limits_, controls_.extra_pids);
    ResourceLimits rlimits = policy_.limits;
    if (controls_.cpu_time_watch) *rlimits.cpu_time_seconds += common::kCpuBackstopSlackSeconds;
    if (controls_.pids && controls_.guest_nproc) rlimits.nproc = controls_.guest_nproc;
    in.rlimits = rlimits_json(rlimits);
    in.annotations = {{"org.kavach.container", id_}, {"org.kavach.policy", policy_.name}};
    nlohmann::json spec = build_spec(in);
    if (auto r = check_spec(spec); !r) return r;
    auto written = bundle_->write_config(spec);
    // The copies of the environment (values may be secrets) are wiped once config.json holds them.
    wipe_strings(in.env);
    if (auto* penv = spec.contains("process") ? &spec["process"]["env"] : nullptr; penv && penv->is_array()) {
      for (auto& v : *penv) {
        if (auto* str = v.get_ptr<std::string*>(); str != nullptr) ::explicit_bzero(str->data(), str->size());
      }
    }
    return written;
  }

  // 3. Run: gVisor's cgroup made with the limits, the egress proxy started, the runtime run.
  Result<ContainerOutcome> run() {
    // gVisor: the sandbox's cgroup is made here, with the limits, so it outlives `runsc run` for
    // the read-back (runsc uses a pre-created cgroup as it is and does not remove it).
    if (kind_ == BackendKind::gvisor && (limits_.memory_bytes || limits_.cpu_cores || limits_.pids)) {
      common::CgroupSetup setup;
      setup.name = id_;
      setup.limits.memory_bytes = limits_.memory_bytes;
      setup.limits.swap_bytes = limits_.memory_bytes ? limits_.swap_bytes : std::nullopt;
      setup.limits.cpu_cores = limits_.cpu_cores;
      if (limits_.pids) setup.limits.pids = *limits_.pids + controls_.extra_pids;
      sandbox_cgroup_ = common::RunCgroup::create(host_.cgroups, setup);
      for (const auto& [ctrl, why] : sandbox_cgroup_.failures()) {
        const Control c = ctrl == "memory" ? Control::cgroup_memory : ctrl == "cpu" ? Control::cgroup_cpu : Control::cgroup_pids;
        if (auto s = settle_control(controls_.report, policy_, c, false, why); !s) return tl::unexpected(s.error());
      }
    }
    ContainerRequest req;
    req.rt = rtc_;
    req.id = id_;
    req.bundle = bundle_->dir();
    req.runtime_log = bundle_->log();
    req.stdin_data = cmd_.stdin_data;
    req.stdin_source = cmd_.stdin_fd;
    req.sink = cmd_.output;
    req.output_cap = policy_.limits.output_bytes;
    req.deadline = Clock::now() + policy_.limits.wall_timeout;
    if (controls_.cpu_time_watch) {
      const CgroupInfo& cgroups = host_.cgroups;
      req.cpu_usage_usec = [&cgroups, path = cgroups_path_] { return container_cpu_usage_usec(cgroups, path); };
      req.cpu_limit_usec = *policy_.limits.cpu_time_seconds * 1'000'000;
    }
    bundle_->container_created();  // from the first runtime call on, cleanup deletes it
    std::unique_ptr<network::EgressProxy> egress;
    if (egress_ns_ || controls_.egress_bridge) {
      common::UniqueFd listener;
      if (egress_ns_) {
        listener = egress_ns_->take_listener();
      } else {
        // The gofer connects as the container's root (host uid kHostIdBase, or root without a
        // user namespace); the sentry lets the sandbox user in through its group.
        const std::uint32_t base_id = host_.user_namespaces ? kHostIdBase : 0;
        auto made = common::listen_egress_socket(mpi_.egress_socket_dir, base_id, base_id + policy_.gid);
        if (!made) return tl::unexpected(made.error());
        listener = std::move(*made);
      }
      auto started = network::EgressProxy::start(std::move(listener), network::EgressRules(policy_.network.allow), in_.egress);
      if (!started) return tl::unexpected(started.error());
      egress = std::move(*started);
    }
    // The controls as the runtime is told to apply them (read-backs of the cgroup come after the run).
    if (cmd_.output != nullptr) cmd_.output->on_started(controls_.report);
    auto outcome = run_container(req);
    if (egress) result_.egress = egress->stop();
    if (outcome) {
      for (auto& s : outcome->timings) timings_.push_back(std::move(s));
    }
    t_ = Clock::now();
    return outcome;
  }

  // 4. What the kernel recorded in the container's cgroup, before `delete` removes it; then cleanup.
  void read_back() {
    cg_ = read_container_cgroup(host_.cgroups, cgroups_path_);
    if (controls_.cpu_time_watch) tree_cpu_usec_ = container_cpu_usage_usec(host_.cgroups, cgroups_path_);
    if (controls_.cpu_time_watch && !tree_cpu_usec_) {
      // Honest after the fact: the watch had nothing to read, so only RLIMIT_CPU held.
      controls_.report.set(Control::cpu_time, true, false,
                           "the container's cgroup CPU accounting was not readable; only RLIMIT_CPU per process applied");
    }
    LimitReadback rb;
    rb.found = !cg_.memory_dir.empty() || !cg_.pids_dir.empty();
    rb.memory_limit = cg_.memory_limit;
    rb.pids_limit = cg_.pids_limit;
    rb.cpu_quota_us = cg_.cpu_quota_us;
    rb.where = cg_.memory_dir;
    confirm_limits(controls_, policy_, rb);
    lap("readback");
    runtime_log_error_ = last_log_error(bundle_->log());
    if (auto cleaned = bundle_->cleanup(); !cleaned) info_["cleanup"] = cleaned.error().message + " (kavach gc retries)";
    sandbox_cgroup_.destroy();
    if (disk_quota_) {
      info_["disk_added_bytes"] = std::to_string(disk_quota_->added_bytes());
      if (auto rel = disk_quota_->release(); !rel) info_["disk_quota_cleanup"] = rel.error().message;
    }
    lap("cleanup");
  }

  // 5. The result.
  Result<ExecResult> decode(ContainerOutcome outcome) {
    const bool started = outcome.started;
    if (!started && !outcome.runtime_error.empty() && !is_exec_failure(outcome.runtime_error)) {
      return fail(ErrorCode::setup_failed, rt_.name + " could not start the container: " + outcome.runtime_error,
                  {{"stage", "runtime"}, {"runtime", rt_.name}, {"container", id_}});
    }
    OutcomeInput oi;
    oi.kind = kind_;
    oi.policy = &policy_;
    oi.program = cmd_.argv.front();
    oi.cgroup = cg_;
    oi.tree_cpu_usec = tree_cpu_usec_;
    decode_outcome(std::move(outcome), oi, result_, info_);
    result_.timings = std::move(timings_);
    result_.duration_ms = ms_since(t_start_);
    result_.enforcement = std::move(controls_.report);
    info_["runtime"] = rt_.name;
    info_["runtime_path"] = rt_.path;
    info_["runtime_version"] = rt_.version;
    if (!rt_.note.empty()) info_["runtime_note"] = rt_.note;
    info_["container_id"] = id_;
    info_["rootfs"] = root_.detail;
    info_["cgroup"] = cg_.memory_dir.empty() ? cg_.pids_dir : cg_.memory_dir;
    info_["mounts"] = std::to_string(plan_.readonly_binds) + " read-only, " + std::to_string(plan_.writable_binds) +
                      " writable (idmapped), " + std::to_string(plan_.protected_masks) + " protected";
    if (!writable_note_.empty()) info_["writable_paths"] = writable_note_;
    info_["exit_status"] = "as reported by the runtime (a signal death reads 128+N)";
    if (!runtime_log_error_.empty() && started) info_["runtime_log_error"] = runtime_log_error_;
    return std::move(result_);
  }

  std::uint32_t host_uid() const { return kHostIdBase + policy_.uid; }
  std::uint32_t host_gid() const { return kHostIdBase + policy_.gid; }
  static constexpr IdMapping kIds{0, kHostIdBase, kIdRange};

  const ContainerExecInput& in_;
  const BackendKind kind_;
  const HostInfo& host_;
  const SandboxPolicy& policy_;
  const Command& cmd_;
  ExecResult result_;
  std::map<std::string, std::string>& info_;
  const Clock::time_point t_start_ = Clock::now();
  Clock::time_point t_ = t_start_;
  std::vector<StageTiming> timings_;
  // Prepared.
  RuntimeChoice rt_;
  OciControls controls_;
  SpecInput spec_;  // env, capabilities, seccomp here; the rest in write_spec
  // The bundle (destroyed last: its destructor deletes a container left behind).
  std::string id_;
  RuntimeCommand rtc_;
  std::unique_ptr<Bundle> bundle_;
  PreparedRootfs root_;
  MountPlanInput mpi_;
  MountPlan plan_;
  std::string writable_note_;
  bool guarding_ = false;  // the command runs behind kavach-guard (protected paths)
  std::unique_ptr<common::DiskQuota> disk_quota_;
  std::optional<common::EgressNetns> egress_ns_;
  std::string cgroups_path_;
  ResourceLimits limits_;  // the cgroup limits the controls can apply
  common::RunCgroup sandbox_cgroup_;
  // Read back.
  ContainerCgroupStats cg_;
  std::optional<std::uint64_t> tree_cpu_usec_;
  std::string runtime_log_error_;
};

}  // namespace

Result<ExecResult> exec_container(const ContainerExecInput& in) {
  if (in.host == nullptr || in.policy == nullptr || in.command == nullptr) {
    return fail(ErrorCode::internal, "exec_container without host, policy or command");
  }
  return ContainerExec(in).execute();
}

}  // namespace kavach::oci
