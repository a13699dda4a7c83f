// Audit hooks: typed events for every lifecycle step, enforcement report and gate verdict.
// Sinks (JSON-lines hash chain, syslog) implement AuditHook too; see audit_log.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kavach {

enum class AuditEventType {
  created,
  exec_started,
  exec_finished,
  enforcement,
  score,
  gate_verdict,
  stopped,
  destroyed,
  policy_violation,
  setup_failure,
  egress_allowed,  // network allowlist: one per connection through the egress proxy
  egress_denied,   // ... and one per refused one (host, port, reason, bytes; never content)
  file_imported,   // Sandbox::import_file: path and size
};

[[nodiscard]] std::string_view to_string(AuditEventType t);

// Why a run is a policy violation (the `reason` of a policy_violation event).
enum class ViolationReason {
  timeout,        // the wall-clock limit killed the tree
  oom,            // the memory limit killed it
  pids_limit,     // the pids limit refused a fork
  cpu_limit,      // the CPU-time limit (RLIMIT_CPU) ended it
  seccomp_kill,   // killed by SIGSYS: a syscall the filter forbids
  gate_block,     // the gate's verdict was block: outputs withheld
  gate_withheld,  // the gate could not scan: outputs withheld (fail closed)
};
[[nodiscard]] std::string_view to_string(ViolationReason r);

struct AuditEvent {
  AuditEventType type = AuditEventType::created;
  std::string sandbox_id;
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  // Event-specific fields. NEVER secret values: callers put names/counts here, not bytes.
  nlohmann::json data = nlohmann::json::object();
};

[[nodiscard]] nlohmann::json to_json(const AuditEvent& e);

class AuditHook {
 public:
  virtual ~AuditHook() = default;
  // Must not throw; a hook that fails records it itself.
  virtual void on_event(const AuditEvent& event) noexcept = 0;
};

}  // namespace kavach
