#include "kavach/audit_log.hpp"

namespace kavach {

CallbackAuditSink::CallbackAuditSink(Callback callback) : callback_(std::move(callback)) {}

void CallbackAuditSink::on_event(const AuditEvent& event) noexcept {
  if (!callback_) return;
  try {
    callback_(event);
  } catch (...) {
    ++failures_;  // a throwing callback must not break the run that emitted the event
  }
}

std::size_t CallbackAuditSink::failures() const { return failures_; }

}  // namespace kavach
