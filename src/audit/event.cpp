#include <ctime>
#include <string>

#include "kavach/audit.hpp"

namespace kavach {
namespace {

// RFC 3339 UTC with microseconds, e.g. 2024-05-01T12:00:00.123456Z.
std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(us / 1000000);
  auto frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  char fbuf[16];
  std::snprintf(fbuf, sizeof fbuf, ".%06ldZ", static_cast<long>(frac));
  return out + fbuf;
}

}  // namespace

std::string_view to_string(AuditEventType t) {
  switch (t) {
    case AuditEventType::created: return "created";
    case AuditEventType::exec_started: return "exec_started";
    case AuditEventType::exec_finished: return "exec_finished";
    case AuditEventType::enforcement: return "enforcement";
    case AuditEventType::score: return "score";
    case AuditEventType::gate_verdict: return "gate_verdict";
    case AuditEventType::stopped: return "stopped";
    case AuditEventType::destroyed: return "destroyed";
    case AuditEventType::policy_violation: return "policy_violation";
    case AuditEventType::setup_failure: return "setup_failure";
    case AuditEventType::egress_allowed: return "egress_allowed";
    case AuditEventType::egress_denied: return "egress_denied";
    case AuditEventType::file_imported: return "file_imported";
  }
  return "unknown";
}

std::string_view to_string(ViolationReason r) {
  switch (r) {
    case ViolationReason::timeout: return "timeout";
    case ViolationReason::oom: return "oom";
    case ViolationReason::pids_limit: return "pids_limit";
    case ViolationReason::cpu_limit: return "cpu_limit";
    case ViolationReason::seccomp_kill: return "seccomp_kill";
    case ViolationReason::gate_block: return "gate_block";
    case ViolationReason::gate_withheld: return "gate_withheld";
  }
  return "unknown";
}

nlohmann::json to_json(const AuditEvent& e) {
  return nlohmann::json{{"type", std::string(to_string(e.type))},
                        {"sandbox_id", e.sandbox_id},
                        {"time", rfc3339(e.time)},
                        {"data", e.data}};
}

}  // namespace kavach
