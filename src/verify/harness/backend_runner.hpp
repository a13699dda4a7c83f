// Runs the probe inside a kavach backend (process, oci, ...) under a given policy.
#pragma once

#include <memory>

#include "kavach/backend.hpp"
#include "kavach/enforcement.hpp"
#include "runner.hpp"

namespace kavach::probes {

class BackendRunner : public Runner {
 public:
  // `probe` is the probe binary's path; the policy must make its directory visible (see
  // probe_policy()).
  BackendRunner(std::shared_ptr<Backend> backend, SandboxPolicy policy, std::string probe);
  [[nodiscard]] std::string name() const override;
  [[nodiscard]] std::string probe_path() const override { return probe_; }
  [[nodiscard]] Result<RunOutput> run(const RunSpec& spec) override;

  // What the backend reported for the last run (the score starts from this).
  [[nodiscard]] const EnforcementReport& last_enforcement() const { return last_enforcement_; }
  [[nodiscard]] const SandboxPolicy& policy() const { return policy_; }

 private:
  Result<RunOutput> run_here(const RunSpec& spec);
  Result<RunOutput> run_on_pty(const RunSpec& spec);

  std::shared_ptr<Backend> backend_;
  SandboxPolicy policy_;
  std::string probe_;
  EnforcementReport last_enforcement_;
};

}  // namespace kavach::probes
