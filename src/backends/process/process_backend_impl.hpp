// ProcessBackend internals shared by its translation units.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "backends/process/idmap.hpp"
#include "backends/process/mount_plan.hpp"
#include "backends/process/process_backend.hpp"

namespace kavach::process {

// Mask placeholders created inside writable paths, counted across concurrent runs so one run's
// cleanup never removes a mount point another run still relies on.
class PlaceholderRegistry {
 public:
  void acquire(const std::vector<Placeholder>& items);
  void release(const std::vector<Placeholder>& items);

 private:
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

class ProcessBackend final : public Backend {
 public:
  ProcessBackend(HostInfo host, ProcessBackendOptions options);
  ~ProcessBackend() override = default;

  BackendKind kind() const override { return BackendKind::process; }
  Maturity maturity() const override { return Maturity::runs_commands; }
  Availability availability() const override;
  Result<ExecResult> exec(const SandboxPolicy& policy, const Command& cmd) override;
  Result<void> health_check() override;
  Result<void> destroy() override { return {}; }

 private:
  HostInfo host_;
  ProcessBackendOptions options_;
  IdmapCache idmap_;
  PlaceholderRegistry placeholders_;
  std::atomic<std::uint64_t> run_counter_{0};
  char* arg_area_ = nullptr;  // this process's argv area (blanked in the sandbox's PID 1)
  std::size_t arg_area_len_ = 0;
};

}  // namespace kavach::process
