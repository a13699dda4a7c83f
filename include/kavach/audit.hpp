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
  paused,
  resumed,
  stopped,
  destroyed,
  policy_violation,
  setup_failure,
};

[[nodiscard]] std::string_view to_string(AuditEventType t);

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
