// Sandbox: one policy, one backend, a lifecycle, audit events. The main entry point.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kavach/audit.hpp"
#include "kavach/backend.hpp"
#include "kavach/config.hpp"
#include "kavach/gate.hpp"
#include "kavach/lifecycle.hpp"
#include "kavach/result.hpp"
#include "kavach/score.hpp"

namespace kavach {

// What the gate let out of the sandbox. Outputs are always redacted first.
enum class OutputRelease {
  released,     // verdict pass / warn: result.stdout_data / stderr_data hold the redacted output
  quarantined,  // verdict quarantine: redacted output kept in the result; do not show it unreviewed
  withheld,     // verdict block (or the gate failed): the outputs were dropped
  ungated,      // the gate was switched off by configuration
};
[[nodiscard]] std::string_view to_string(OutputRelease r);

struct RunReport {
  ExecResult result;
  StrengthScore score;  // enforced score, computed from result.enforcement
  std::optional<gate::Report> gate;  // absent only when the gate is off
  OutputRelease release = OutputRelease::ungated;
  // Live output (Command::output): bytes passed on while the command ran, and whether a
  // quarantine/block finding stopped the release (everything after it was withheld).
  std::optional<std::uint64_t> released_live_bytes = std::nullopt;
  bool release_stopped = false;
};

// The limits and rules a finished run ran into (each becomes a policy_violation event): from
// the result (timeout, oom, pids, cpu, SIGSYS) and from the gate (block).
[[nodiscard]] std::vector<ViolationReason> policy_violations(const RunReport& report);

// The run as JSON: ExecResult's keys (kavach/json.hpp), "score" (null when nothing ran),
// "stdout_b64"/"stderr_b64" (the exact bytes of output that is not UTF-8) and "gate" (the
// report, or {"verdict": "disabled"}, with "release" and live-output counts).
[[nodiscard]] nlohmann::json to_json(const RunReport& report);

// A file out of the sandbox (Sandbox::export_file), after the gate.
struct ExportedFile {
  std::filesystem::path path;        // inside the sandbox (absolute)
  std::uint64_t bytes = 0;           // as read
  std::string content;               // redacted; empty when withheld
  std::optional<gate::Report> gate;  // absent when the gate is off and no secret is registered
  OutputRelease release = OutputRelease::ungated;
};

class Sandbox {
 public:
  // Creates the backend (error if unknown/unavailable) and emits `created`.
  [[nodiscard]] static Result<std::unique_ptr<Sandbox>> create(SandboxConfig config);
  [[nodiscard]] static Result<std::unique_ptr<Sandbox>> create(SandboxConfig config,
                                                               std::unique_ptr<Backend> backend);
  // A sandbox dropped without destroy() still records it: `stopped` (if it ran) and `destroyed`
  // with reason "released", so error paths leave a complete audit trail.
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Created/Running -> Running; runs one command.
  [[nodiscard]] Result<RunReport> exec(const Command& cmd);
  // No pause/resume: exec() runs each command to completion, so between commands no process of
  // this sandbox exists and there is nothing to freeze. Sessions, which keep processes between
  // commands, will freeze them with the cgroup freezer (docs/architecture.md, "Lifecycle").
  [[nodiscard]] Result<void> stop();
  [[nodiscard]] Result<void> destroy();

  // A file the sandbox wrote, through the gate like its output: the path (relative: to the
  // working directory) must lie in a writable path and be a regular file with one name, of at
  // most limits.output_bytes; it is opened beneath the writable root without following any link
  // or crossing a mount. Block: withheld (content empty); quarantine: kept for review. Audited
  // (gate_verdict, source "export").
  [[nodiscard]] Result<ExportedFile> export_file(const std::filesystem::path& path);
  // A file into a writable path (relative: to the working directory), at most
  // limits.output_bytes, owned like that writable path; its directory must exist. Written beneath
  // the writable root without following links or crossing mounts; an existing hard-linked or
  // non-regular file is refused. Audited (file_imported: path and size, never content).
  [[nodiscard]] Result<void> import_file(const std::filesystem::path& path, std::string_view data,
                                         unsigned mode = 0644);

  [[nodiscard]] State state() const { return state_.load(); }
  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const SandboxConfig& config() const { return config_; }
  // No accessor for the backend: every run goes through exec(), i.e. through the gate,
  // credentials and audit.

 private:
  Sandbox(SandboxConfig config, std::unique_ptr<Backend> backend);
  Result<void> move(LifecycleEvent e);
  void emit(AuditEventType type, nlohmann::json data = nlohmann::json::object());
  struct GateRun;  // the session of one exec's outputs (sandbox.cpp)
  Result<void> open_gate(GateRun& g);
  Result<void> gate_outputs(RunReport& report, GateRun& g);
  Result<void> gate_stream(RunReport& report, GateRun& g);
  Result<void> settle_release(RunReport& report, bool rules_on, gate::Report gated);

  SandboxConfig config_;
  std::unique_ptr<Backend> backend_;
  // exec() may run on several threads at once (a Session's execs): the state and the audit hooks
  // are guarded.
  std::atomic<State> state_ = State::created;
  std::mutex state_mu_;
  std::mutex emit_mu_;
  std::string id_;
};

}  // namespace kavach
