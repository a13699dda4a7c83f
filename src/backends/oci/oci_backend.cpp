// OCI / gVisor backend: availability, the health check, and each command through
// exec_container (container_exec.cpp: prepare -> bundle -> run -> read back -> decode).
#include "backends/oci/oci_backend.hpp"

#include "backends/oci/container_exec.hpp"
#include "backends/oci/runtime.hpp"

namespace kavach::oci {
namespace {

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
  BackendKind kind_;
  HostInfo host_;
  std::string override_;
};

Result<ExecResult> ContainerBackend::run(const ValidPolicy& policy, const Command& cmd) {
  // Credential placeholders: the run's CA bundle joins the command (an injected file and its
  // variables) and the proxy gets the swaps; the copies of secret values are wiped after.
  auto egress = network::EgressRun::prepare(policy, cmd);
  if (!egress) return tl::unexpected(egress.error());
  ContainerExecInput in{kind_, &host_, override_, &policy.get(), &egress->command(),
                        egress->options() ? *egress->options() : network::EgressOptions{}};
  return exec_container(in);
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
