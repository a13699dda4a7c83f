// ProcessBackend internals shared by its translation units.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backends/process/background.hpp"
#include "backends/process/idmap.hpp"
#include "backends/process/mount_plan.hpp"
#include "backends/process/process_backend.hpp"

namespace kavach::process {

struct PreparedSandbox;

// Puts the policy's disk quota on the writable paths when the plan has one, settling the `disk`
// control in the sandbox's report (fail closed, or degrade as the policy allows).
[[nodiscard]] Result<void> hold_disk_quota(PreparedSandbox& sandbox, const SandboxPolicy& policy);

class ProcessBackend final : public Backend {
 public:
  static constexpr std::chrono::milliseconds kWarmSetupTimeout{10'000};

  ProcessBackend(HostInfo host, ProcessBackendOptions options);
  ~ProcessBackend() override = default;

  BackendKind kind() const override { return BackendKind::process; }
  Maturity maturity() const override { return Maturity::runs_commands; }
  Availability availability() const override;
  Result<void> health_check() override;
  Result<void> destroy() override { return {}; }

  // The two halves of exec(). prepare(policy, &cmd) clones and releases a cold sandbox for
  // `cmd`; prepare(policy, nullptr) releases a warm one that sets itself up and waits (check
  // with wait_ready). run_prepared() executes one command in it (for a warm one: any command without
  // injected files), under the same `policy` (a warm one may differ in its wall timeout, which
  // counts from the hand-over); the sandbox is spent afterwards (its destructor
  // removes what is left: cgroups, a held namespace).
  [[nodiscard]] Result<std::unique_ptr<PreparedSandbox>> prepare(const ValidPolicy& policy, const Command* cmd);
  [[nodiscard]] Result<void> wait_ready(PreparedSandbox& sandbox);
  [[nodiscard]] Result<ExecResult> run_prepared(PreparedSandbox& sandbox, const ValidPolicy& policy,
                                                const Command& cmd);
  // Benchmarks: wait until the helper thread has nothing to do (see Background::wait_idle).
  bool wait_idle(std::chrono::milliseconds timeout);

 private:
  Result<ExecResult> run(const ValidPolicy& policy, const Command& cmd) override;

  HostInfo host_;
  ProcessBackendOptions options_;
  IdmapCache idmap_;
  // Started on first use.
  Background& background();
  std::once_flag background_once_;
  std::unique_ptr<Background> background_;
  char* arg_area_ = nullptr;  // this process's argv area (blanked in the sandbox's PID 1)
  std::size_t arg_area_len_ = 0;
};

}  // namespace kavach::process
