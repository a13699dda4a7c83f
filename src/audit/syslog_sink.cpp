#include <syslog.h>

#include <string>

#include "kavach/audit_log.hpp"

namespace kavach {
namespace {

int priority_of(AuditEventType t) {
  switch (t) {
    case AuditEventType::policy_violation:
    case AuditEventType::setup_failure:
    case AuditEventType::egress_denied: return LOG_WARNING;
    default: return LOG_INFO;
  }
}

}  // namespace

SyslogAuditSink::SyslogAuditSink(int facility) : facility_(facility < 0 ? LOG_USER : facility) {}

void SyslogAuditSink::on_event(const AuditEvent& event) noexcept {
  try {
    const std::string json = to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    // No openlog(): the ident and options are the application's; the message says it is ours.
    ::syslog(facility_ | priority_of(event.type), "kavach-audit: %s", json.c_str());
  } catch (...) {
    // Serialization failed (out of memory); syslog itself reports nothing to us either.
  }
}

}  // namespace kavach
