// OCI / gVisor backend: policy -> controls -> bundle (rootfs, mounts, config.json) -> runtime
// run -> cgroup read-back -> delete -> result. Every run has its own bundle and container id and
// is cleaned up on every path.
#include "backends/oci/oci_backend.hpp"

#include <csignal>
#include <cstring>
#include <cstdlib>
#include <map>

#include "backends/common/cpu_backstop.hpp"
#include "backends/common/cgroup.hpp"
#include "backends/common/disk_control.hpp"
#include "backends/common/egress_bridge.hpp"
#include "backends/common/egress_netns.hpp"
#include "backends/oci/bundle.hpp"
#include "backends/oci/cgroup_stats.hpp"
#include "backends/oci/container_run.hpp"
#include "backends/oci/controls.hpp"
#include "backends/oci/injected_files.hpp"
#include "backends/oci/mount_plan.hpp"
#include "backends/oci/outcome.hpp"
#include "backends/oci/rootfs.hpp"
#include "backends/oci/runtime.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/oci/seccomp_json.hpp"
#include "backends/oci/spec.hpp"
#include "backends/oci/state_dirs.hpp"
#include "kavach/network.hpp"
#include "kavach/syscalls.hpp"
#include "network/egress_credentials.hpp"
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

class ContainerBackend final : public Backend {
 public:
  ContainerBackend(BackendKind kind, HostInfo host, std::string runtime_override)
      : kind_(kind), host_(std::move(host)), override_(std::move(runtime_override)) {}

  BackendKind kind() const override { return kind_; }
  Maturity maturity() const override { return Maturity::runs_commands; }

  Availability availability() const override {
    auto rt = choose_runtime(kind_, host_, OciPolicy{}, override_);
    if (!rt) return {false, rt.error().message};
    if (!host_.is_root) return {false, "needs root (rootless operation is not implemented)"};
    std::string reason = rt->name + " " + rt->version;
    if (kind_ == BackendKind::gvisor) {
      reason = "runsc (gVisor " + rt->version + "), platform ptrace";
      if (host_.kvm_usable) reason += " (KVM platform only when the policy asks: it hung on the kernels we measured)";
    }
    if (!rt->note.empty()) reason += "; " + rt->note;
    return {true, reason};
  }

  Result<ExecResult> run(const ValidPolicy& policy, const Command& cmd) override;

  Result<void> health_check() override;

  Result<void> destroy() override { return {}; }

 private:
  Result<RuntimeCommand> runtime_command(const SandboxPolicy& policy, const RuntimeChoice& rt, const StateDirs& dirs,
                                         const std::filesystem::path& log, const OciControls& controls,
                                         std::map<std::string, std::string>& info) const;
  // One run of `cmd` as the sandbox gets it (placeholders' plumbing already added by exec).
  Result<ExecResult> run_once(const SandboxPolicy& policy, const Command& cmd,
                              const network::EgressOptions& egress_options);

  BackendKind kind_;
  HostInfo host_;
  std::string override_;
};

Result<RuntimeCommand> ContainerBackend::runtime_command(const SandboxPolicy& policy, const RuntimeChoice& rt,
                                                         const StateDirs& dirs, const std::filesystem::path& log,
                                                         const OciControls& controls,
                                                         std::map<std::string, std::string>& info) const {
  RuntimeCommand c{rt, {}};
  const auto root = dirs.runtime_root(rt.name);
  if (auto r = make_dirs(root, 0700); !r) return tl::unexpected(r.error());
  c.global_args = {"--root", root.string(), "--log", log.string(), "--log-format", "json"};
  if (rt.flavor == RuntimeFlavor::runsc) {
    std::string why;
    const std::string platform = gvisor_platform(policy.oci, host_, why);
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
    if (controls.seccomp) c.global_args.push_back("--oci-seccomp");
    // Allowlist: kavach-egress-bridge connects to the proxy's socket through the gofer.
    if (controls.egress_bridge) c.global_args.push_back("--host-uds=open");
    info["gvisor_platform"] = why;
    info["gvisor_version"] = rt.version;
  }
  return c;
}

Result<ExecResult> ContainerBackend::run(const ValidPolicy& policy, const Command& cmd) {
  // Credential placeholders: the run's CA bundle joins the command (an injected file and its
  // variables) and the proxy gets the swaps; the copies of secret values are wiped after.
  auto egress = network::EgressRun::prepare(policy, cmd);
  if (!egress) return tl::unexpected(egress.error());
  return run_once(policy, egress->command(), egress->options() ? *egress->options() : network::EgressOptions{});
}

Result<ExecResult> ContainerBackend::run_once(const SandboxPolicy& policy, const Command& cmd,
                                              const network::EgressOptions& egress_options) {
  const auto t_start = Clock::now();
  auto t = t_start;
  ExecResult result;
  std::vector<StageTiming> timings;
  auto lap = [&](const char* stage) {
    timings.push_back({stage, ms_since(t)});
    t = Clock::now();
  };

  // 1. Policy, runtime, controls: fail closed here, before anything is created.
  if (cmd.argv.empty() || cmd.argv.front().empty()) {
    return fail(ErrorCode::invalid_argument, "command is empty: argv[0] must name a program");
  }
  if (cmd.terminal) {
    return fail(ErrorCode::invalid_argument,
                "a terminal (-t) is not relayed by the " + std::string(to_string(kind_)) +
                    " backend yet: the process backend runs commands on a PTY",
                {{"backend", std::string(to_string(kind_))}});
  }
  auto rt = choose_runtime(kind_, host_, policy.oci, override_);
  if (!rt) return tl::unexpected(rt.error());
  auto controls = plan_oci_controls(kind_, host_, policy, *rt);
  if (!controls) return tl::unexpected(controls.error());
  auto env = container_env(policy, cmd.env);
  if (!env) return tl::unexpected(env.error());
  auto caps = capability_set(policy.keep_capabilities);
  if (!caps) return tl::unexpected(caps.error());
  nlohmann::json seccomp;
  if (controls->seccomp) {
    auto program = build_seccomp_program(policy.seccomp);
    if (!program) return tl::unexpected(program.error());
    std::string adapted;
    seccomp = kind_ == BackendKind::gvisor ? seccomp_to_oci_for_gvisor(*program, adapted) : seccomp_to_oci(*program);
    if (policy.seccomp.mode != SeccompMode::none) {
      const ControlStatus* st = controls->report.find(Control::seccomp);
      controls->report.set(Control::seccomp, true, true,
                           program->description + "; " + (st ? st->detail : "") +
                               (adapted.empty() ? "" : "; " + adapted),
                           std::string(to_string(policy.seccomp.mode)));
    }
  }
  lap("prepare");

  // 2. The bundle.
  // Injected variables (the credential proxy's env secrets) go into config.json and, for runsc,
  // into the runtime's state: such a run keeps both on a memory filesystem, or does not run.
  auto dirs = state_dirs(!cmd.env.empty() || !cmd.files.empty());
  if (!dirs) return tl::unexpected(dirs.error());
  const std::string id = new_container_id();
  std::map<std::string, std::string>& info = result.backend_info;
  const auto log = dirs->bundles() / id / "runtime.log";
  auto rtc = runtime_command(policy, *rt, *dirs, log, *controls, info);
  if (!rtc) return tl::unexpected(rtc.error());
  const std::uint32_t host_uid = kHostIdBase + policy.uid;
  const std::uint32_t host_gid = kHostIdBase + policy.gid;
  std::optional<uid_t> mapped_root;
  if (host_.user_namespaces) mapped_root = kHostIdBase;  // container uid 0 (IdMapping below)
  auto bundle = Bundle::create(*dirs, id, *rtc, host_uid, host_gid, mapped_root);
  if (!bundle) return tl::unexpected(bundle.error());
  Bundle& b = **bundle;
  const IdMapping ids{0, kHostIdBase, kIdRange};

  auto root = prepare_rootfs(policy.oci, b.dir(), host_, ids);
  if (!root) return tl::unexpected(root.error());
  lap("rootfs");

  // Writable paths through idmapped copies, so the container user (an unprivileged host id)
  // writes there as the directory's owner.
  std::map<std::string, std::string> writable_source;
  std::string writable_note;
  for (const auto& w : policy.fs.writable_paths) {
    const auto p = w.lexically_normal();
    auto copy = b.idmaps().attach(p);
    if (copy) {
      writable_source[p.string()] = copy->string();
    } else {
      writable_source[p.string()] = p.string();
      writable_note += (writable_note.empty() ? "" : "; ") + copy.error().message +
                       " (plain bind: writable only where host permissions allow uid " + std::to_string(host_uid) + ")";
    }
  }
  MountPlanInput mpi;
  mpi.policy = &policy;
  auto files = write_injected_files(b.dir() / "files", cmd.files, host_uid, host_gid);
  if (!files) return tl::unexpected(files.error());
  mpi.injected_files = std::move(*files);
  if (controls->guard) {
    auto bin = common::find_guard_binary();
    if (bin) {
      mpi.guard_binary = *bin;
    } else if (auto s = settle_control(controls->report, policy, Control::protected_paths, false, bin.error().message); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (controls->egress_bridge) {
    auto bin = common::find_egress_bridge_binary();
    if (!bin) return tl::unexpected(bin.error());
    mpi.egress_bridge_binary = *bin;
    mpi.egress_socket_dir = b.dir() / "egress";
  }
  mpi.rootfs = root->kind;
  mpi.readonly_sysfs = kind_ == BackendKind::gvisor;
  mpi.writable_source = [&writable_source](const std::filesystem::path& p) {
    auto it = writable_source.find(p.string());
    return it == writable_source.end() ? p.string() : it->second;
  };
  auto plan = plan_mounts(mpi);
  if (!plan) return tl::unexpected(plan.error());
  if (auto r = populate_rootfs(*root, *plan); !r) return tl::unexpected(r.error());
  lap("mounts");

  // Disk: the container's writable binds are the host directories themselves (idmapped copies
  // share their inodes), plus the root when it is writable.
  std::unique_ptr<common::DiskQuota> disk_quota;
  if (policy.limits.disk_bytes) {
    std::vector<std::filesystem::path> quota_dirs = policy.fs.writable_paths;
    if (!policy.fs.readonly_root) quota_dirs.push_back(root->path);
    common::DiskLimit d = common::limit_disk(quota_dirs, *policy.limits.disk_bytes,
                                             policy.may_degrade.count(Control::disk) != 0);
    if (auto s = settle_control(controls->report, policy, Control::disk, d.applied, d.text); !s) {
      return tl::unexpected(s.error());
    }
    disk_quota = std::move(d.quota);
    lap("disk_quota");
  }

  SpecInput in;
  in.args = cmd.argv;
  if (!mpi.guard_binary.empty()) {
    // The command runs behind kavach-guard, which refuses creating or changing protected paths.
    common::GuardCommandInput gi;
    gi.policy = &policy;
    gi.writable_roots = plan->writable_targets;
    gi.command = cmd.argv;
    auto guard = common::guard_command(gi);
    if (!guard) return tl::unexpected(guard.error());
    in.args = std::move(guard->argv);
    in.args.front() = common::kGuardPathInSandbox;
    if (auto s = settle_control(controls->report, policy, Control::protected_paths, true, guard->detail); !s) {
      return tl::unexpected(s.error());
    }
  }
  if (controls->egress_bridge) in.args = common::egress_bridge_argv(kEgressProxyPort, in.args);
  in.env = *env;
  in.cwd = plan->cwd;
  in.uid = policy.uid;
  in.gid = policy.gid;
  in.hostname = policy.hostname;
  in.root_path = root->path.string();
  in.readonly_root = policy.fs.readonly_root;
  in.mounts = plan->mounts;
  in.masked_paths = plan->masked_paths;
  in.readonly_paths = plan->readonly_paths;
  if (host_.user_namespaces) in.id_mapping = ids;
  in.network_namespace = controls->network_namespace;
  // Allowlist: a namespace kavach made (lo + the egress proxy's listener) for the runtime to join.
  std::optional<common::EgressNetns> egress_ns;
  if (controls->egress_netns) {
    auto made = common::EgressNetns::make(kEgressProxyPort);
    if (!made) return tl::unexpected(made.error());
    egress_ns = std::move(*made);
    in.network_namespace_path = egress_ns->path();
  }
  const std::string cgroups_path = "kavach/" + id;
  in.cgroups_path = cgroups_path;
  ResourceLimits limits = policy.limits;
  if (!controls->memory) limits.memory_bytes.reset();
  if (!controls->cpu) limits.cpu_cores.reset();
  if (!controls->pids) limits.pids.reset();
  in.resources = resources_json(limits, controls->extra_pids);
  in.seccomp = seccomp;
  in.capabilities = *caps;
  ResourceLimits rlimits = policy.limits;
  if (controls->cpu_time_watch) *rlimits.cpu_time_seconds += common::kCpuBackstopSlackSeconds;
  in.rlimits = rlimits_json(rlimits);
  in.annotations = {{"org.kavach.container", id}, {"org.kavach.policy", policy.name}};
  nlohmann::json spec = build_spec(in);
  if (auto r = check_spec(spec); !r) return tl::unexpected(r.error());
  auto written = b.write_config(spec);
  // The copies of the environment (values may be secrets) are wiped once config.json holds them.
  wipe_strings(*env);
  wipe_strings(in.env);
  if (auto* penv = spec.contains("process") ? &spec["process"]["env"] : nullptr; penv && penv->is_array()) {
    for (auto& v : *penv) {
      if (auto* str = v.get_ptr<std::string*>(); str != nullptr) ::explicit_bzero(str->data(), str->size());
    }
  }
  if (!written) return tl::unexpected(written.error());
  lap("spec");

  // gVisor: the sandbox's cgroup is made here, with the limits, so it outlives `runsc run` for
  // the read-back (runsc uses a pre-created cgroup as it is and does not remove it).
  common::RunCgroup sandbox_cgroup;
  if (kind_ == BackendKind::gvisor && (limits.memory_bytes || limits.cpu_cores || limits.pids)) {
    common::CgroupSetup setup;
    setup.name = id;
    setup.limits.memory_bytes = limits.memory_bytes;
    setup.limits.swap_bytes = limits.memory_bytes ? limits.swap_bytes : std::nullopt;
    setup.limits.cpu_cores = limits.cpu_cores;
    if (limits.pids) setup.limits.pids = *limits.pids + controls->extra_pids;
    sandbox_cgroup = common::RunCgroup::create(host_.cgroups, setup);
    for (const auto& [ctrl, why] : sandbox_cgroup.failures()) {
      const Control c = ctrl == "memory" ? Control::cgroup_memory : ctrl == "cpu" ? Control::cgroup_cpu : Control::cgroup_pids;
      if (auto s = settle_control(controls->report, policy, c, false, why); !s) return tl::unexpected(s.error());
    }
  }

  // 3. Run.
  ContainerRequest req;
  req.rt = *rtc;
  req.id = id;
  req.bundle = b.dir();
  req.runtime_log = b.log();
  req.stdin_data = cmd.stdin_data;
  req.stdin_source = cmd.stdin_fd;
  req.sink = cmd.output;
  req.output_cap = policy.limits.output_bytes;
  req.deadline = Clock::now() + policy.limits.wall_timeout;
  if (controls->cpu_time_watch) {
    const CgroupInfo& cgroups = host_.cgroups;
    req.cpu_usage_usec = [&cgroups, cgroups_path] { return container_cpu_usage_usec(cgroups, cgroups_path); };
    req.cpu_limit_usec = *policy.limits.cpu_time_seconds * 1'000'000;
  }
  b.container_created();  // from the first runtime call on, cleanup deletes it
  std::unique_ptr<network::EgressProxy> egress;
  if (egress_ns || controls->egress_bridge) {
    common::UniqueFd listener;
    if (egress_ns) {
      listener = egress_ns->take_listener();
    } else {
      // The gofer connects as the container's root (host uid kHostIdBase, or root without a
      // user namespace); the sentry lets the sandbox user in through its group.
      const std::uint32_t base_id = host_.user_namespaces ? kHostIdBase : 0;
      auto made = common::listen_egress_socket(mpi.egress_socket_dir, base_id, base_id + policy.gid);
      if (!made) return tl::unexpected(made.error());
      listener = std::move(*made);
    }
    auto started =
        network::EgressProxy::start(std::move(listener), network::EgressRules(policy.network.allow), egress_options);
    if (!started) return tl::unexpected(started.error());
    egress = std::move(*started);
  }
  auto outcome = run_container(req);
  if (egress) result.egress = egress->stop();
  if (!outcome) return tl::unexpected(outcome.error());
  const bool started = outcome->started;
  for (auto& s : outcome->timings) timings.push_back(std::move(s));
  t = Clock::now();

  // 4. What the kernel recorded in the container's cgroup, before `delete` removes it.
  const ContainerCgroupStats cg = read_container_cgroup(host_.cgroups, cgroups_path);
  const std::optional<std::uint64_t> tree_cpu_usec =
      controls->cpu_time_watch ? container_cpu_usage_usec(host_.cgroups, cgroups_path) : std::nullopt;
  if (controls->cpu_time_watch && !tree_cpu_usec) {
    // Honest after the fact: the watch had nothing to read, so only RLIMIT_CPU held.
    controls->report.set(Control::cpu_time, true, false,
                         "the container's cgroup CPU accounting was not readable; only RLIMIT_CPU per process applied");
  }
  LimitReadback rb;
  rb.found = !cg.memory_dir.empty() || !cg.pids_dir.empty();
  rb.memory_limit = cg.memory_limit;
  rb.pids_limit = cg.pids_limit;
  rb.cpu_quota_us = cg.cpu_quota_us;
  rb.where = cg.memory_dir;
  confirm_limits(*controls, policy, rb);
  lap("readback");
  const std::string runtime_log_error = last_log_error(b.log());
  auto cleaned = b.cleanup();
  sandbox_cgroup.destroy();
  if (disk_quota) {
    info["disk_added_bytes"] = std::to_string(disk_quota->added_bytes());
    if (auto rel = disk_quota->release(); !rel) info["disk_quota_cleanup"] = rel.error().message;
  }
  lap("cleanup");

  if (!outcome->started && !outcome->runtime_error.empty() && !is_exec_failure(outcome->runtime_error)) {
    return fail(ErrorCode::setup_failed, rt->name + " could not start the container: " + outcome->runtime_error,
                {{"stage", "runtime"}, {"runtime", rt->name}, {"container", id}});
  }

  // 5. The result.
  OutcomeInput oi;
  oi.kind = kind_;
  oi.policy = &policy;
  oi.program = cmd.argv.front();
  oi.cgroup = cg;
  oi.tree_cpu_usec = tree_cpu_usec;
  decode_outcome(std::move(*outcome), oi, result, info);
  result.timings = std::move(timings);
  result.duration_ms = ms_since(t_start);
  result.enforcement = std::move(controls->report);

  info["runtime"] = rt->name;
  info["runtime_path"] = rt->path;
  info["runtime_version"] = rt->version;
  if (!rt->note.empty()) info["runtime_note"] = rt->note;
  info["container_id"] = id;
  info["rootfs"] = root->detail;
  info["cgroup"] = cg.memory_dir.empty() ? cg.pids_dir : cg.memory_dir;
  info["mounts"] = std::to_string(plan->readonly_binds) + " read-only, " + std::to_string(plan->writable_binds) +
                   " writable (idmapped), " + std::to_string(plan->protected_masks) + " protected";
  if (!writable_note.empty()) info["writable_paths"] = writable_note;
  info["exit_status"] = "as reported by the runtime (a signal death reads 128+N)";
  if (!runtime_log_error.empty() && started) info["runtime_log_error"] = runtime_log_error;
  if (!cleaned) info["cleanup"] = cleaned.error().message + " (kavach gc retries)";
  return result;
}

Result<void> ContainerBackend::health_check() {
  // The runtime runs a probe container under the strict preset, and we read back from inside
  // what the kernel (or the sentry) says about that process.
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits.wall_timeout = std::chrono::milliseconds(15'000);
  Command cmd;
  cmd.argv = {"/bin/sh", "-c", "grep -E '^(Seccomp|NoNewPrivs|CapEff|CapBnd):' /proc/self/status"};
  auto r = exec(p, cmd);
  if (!r) return tl::unexpected(r.error());
  auto field = [&](const std::string& key) {
    const auto pos = r->stdout_data.find(key + ":");
    if (pos == std::string::npos) return std::string();
    auto end = r->stdout_data.find('\n', pos);
    std::string v = r->stdout_data.substr(pos + key.size() + 1, end - pos - key.size() - 1);
    v.erase(0, v.find_first_not_of(" \t"));
    return v;
  };
  std::string problems;
  if (r->exit_code != 0) problems += "probe exit " + std::to_string(r->exit_code.value_or(-1)) + "; ";
  // gVisor's /proc/self/status has no NoNewPrivs line (the sentry still honours it).
  if (kind_ == BackendKind::oci && field("NoNewPrivs") != "1") problems += "NoNewPrivs=" + field("NoNewPrivs") + "; ";
  if (field("CapEff") != "0000000000000000") problems += "CapEff=" + field("CapEff") + "; ";
  if (field("CapBnd") != "0000000000000000") problems += "CapBnd=" + field("CapBnd") + "; ";
  if (field("Seccomp") != "2") problems += "Seccomp=" + field("Seccomp") + "; ";
  if (!problems.empty()) {
    return fail(ErrorCode::setup_failed, "health check: the probe container is not confined as asked: " + problems,
                {{"stage", "health_check"}});
  }
  return {};
}

}  // namespace

std::unique_ptr<kavach::Backend> make_oci_backend(const HostInfo& host, std::string runtime_override) {
  return std::make_unique<ContainerBackend>(BackendKind::oci, host, std::move(runtime_override));
}

std::unique_ptr<kavach::Backend> make_gvisor_backend(const HostInfo& host) {
  return std::make_unique<ContainerBackend>(BackendKind::gvisor, host, std::string());
}

}  // namespace kavach::oci
