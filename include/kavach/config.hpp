// SandboxConfig and its builder (sticky first error, like sandbox2's PolicyBuilder).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kavach/audit.hpp"
#include "kavach/backend_kind.hpp"
#include "kavach/credential.hpp"
#include "kavach/error.hpp"
#include "kavach/gate.hpp"
#include "kavach/policy.hpp"

namespace kavach {

// The externalization gate: ON unless switched off explicitly (the switch is audited).
struct GateSettings {
  bool enabled = true;
  std::shared_ptr<const gate::Gate> rules;  // null: the builtin, precompiled rule set
  gate::Options options;
  // Live output (Command::output): a block verdict stops the release at once; true also kills
  // the command, false lets it run to its end with everything after the finding withheld.
  bool kill_on_block = true;
};

// A runnable configuration: its policy passed ValidPolicy::check (the builder, or the caller).
struct SandboxConfig {
  BackendKind backend = BackendKind::process;
  ValidPolicy policy;
  std::vector<std::shared_ptr<AuditHook>> hooks;
  // Secrets delivered into every command of this sandbox (resolved per exec, scrubbed after).
  std::shared_ptr<const CredentialProxy> credentials;
  std::vector<SecretRef> secret_refs;
  GateSettings gate;
};

// The base policy (preset, policy, policy_file: the last one given wins) and the edits on top of
// it (memory_limit, writable, network...) are kept apart and combined by build(), so the order of
// the calls does not matter: `.memory_limit(x).preset(strict)` is strict with memory x.
class SandboxConfigBuilder {
 public:
  SandboxConfigBuilder();  // starts from the `agent` preset on the process backend

  SandboxConfigBuilder& backend(BackendKind kind);
  SandboxConfigBuilder& backend(std::string_view name);
  SandboxConfigBuilder& preset(Preset p);
  SandboxConfigBuilder& preset(std::string_view name);
  SandboxConfigBuilder& policy(SandboxPolicy p);
  SandboxConfigBuilder& policy_file(const std::filesystem::path& file);
  SandboxConfigBuilder& timeout(std::chrono::milliseconds t);
  SandboxConfigBuilder& memory_limit(std::uint64_t bytes);
  SandboxConfigBuilder& cpu_limit(double cores);
  SandboxConfigBuilder& pids_limit(std::uint64_t n);
  // Bytes the run may add to host disk through its writable paths (control `disk`).
  SandboxConfigBuilder& disk_limit(std::uint64_t bytes);
  SandboxConfigBuilder& output_limit(std::uint64_t bytes);
  SandboxConfigBuilder& network(NetworkMode mode);
  SandboxConfigBuilder& writable(const std::filesystem::path& host_path);
  SandboxConfigBuilder& readonly(const std::filesystem::path& host_path);
  SandboxConfigBuilder& allow_env(std::string name);
  SandboxConfigBuilder& seccomp(SeccompMode mode);
  SandboxConfigBuilder& allow_degrade(Control c);
  SandboxConfigBuilder& hook(std::shared_ptr<AuditHook> h);
  // Secrets: every ref must name a secret the proxy holds (checked by Sandbox::create).
  SandboxConfigBuilder& credentials(std::shared_ptr<const CredentialProxy> proxy,
                                    std::vector<SecretRef> refs);

  // Gate: off (audited), or a gitleaks-format rule file instead of the builtin rules.
  SandboxConfigBuilder& gate(bool enabled);
  SandboxConfigBuilder& gate_rules(const std::filesystem::path& rule_file);
  SandboxConfigBuilder& gate_options(gate::Options options);

  // The first error any setter hit, or the validated config: the base policy with every edit
  // applied in the order given, then ValidPolicy::check.
  [[nodiscard]] Result<SandboxConfig> build() const;

 private:
  void set_error(Error e);
  SandboxConfigBuilder& edit(std::function<void(SandboxPolicy&)> f);
  SandboxPolicy base_;  // the preset, policy or policy file the edits apply to
  SandboxConfig config_;
  std::vector<std::function<void(SandboxPolicy&)>> edits_;
  std::optional<Error> error_;
};

}  // namespace kavach
