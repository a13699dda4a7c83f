#include "backends/noop/noop_backend.hpp"

#include "core/controls.hpp"

namespace kavach::noop {
namespace {

class NoopBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::noop; }
  // It "runs" every command by doing nothing (exit 0); that is its whole contract.
  Maturity maturity() const override { return Maturity::runs_nothing; }
  Availability availability() const override { return {true, "always available; enforces nothing"}; }

  Result<ExecResult> run(const ValidPolicy& policy, const Command& cmd) override {
    if (cmd.argv.empty()) return fail(ErrorCode::invalid_argument, "command is empty");
    ExecResult r;
    r.exit_code = 0;
    // Nothing is applied: every requested control shows the gap.
    for (const RequestedControl& q : requested_controls(policy)) {
      r.enforcement.set(q.control, q.requested, false,
                        q.requested ? "requested; the noop backend enforces nothing" : "not requested", q.mode);
    }
    r.backend_info["backend"] = "noop";
    return r;
  }
  Result<void> health_check() override { return {}; }
  Result<void> destroy() override { return {}; }
};

}  // namespace

std::unique_ptr<Backend> make_noop_backend() { return std::make_unique<NoopBackend>(); }

}  // namespace kavach::noop
