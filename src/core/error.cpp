#include "kavach/error.hpp"

namespace kavach {

std::string Error::describe() const {
  std::string out = message;
  if (!context.empty()) {
    out += " (";
    bool first = true;
    for (const auto& [k, v] : context) {
      if (!first) out += ", ";
      first = false;
      out += k + "=" + v;
    }
    out += ")";
  }
  return out;
}

Error make_error(ErrorCode code, std::string message, std::map<std::string, std::string> context) {
  return Error{code, std::move(message), std::move(context)};
}

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::policy_parse: return "policy_parse";
    case ErrorCode::policy_unknown_key: return "policy_unknown_key";
    case ErrorCode::policy_type: return "policy_type";
    case ErrorCode::policy_value: return "policy_value";
    case ErrorCode::unknown_syscall: return "unknown_syscall";
    case ErrorCode::path_not_absolute: return "path_not_absolute";
    case ErrorCode::path_not_found: return "path_not_found";
    case ErrorCode::unknown_preset: return "unknown_preset";
    case ErrorCode::unknown_backend: return "unknown_backend";
    case ErrorCode::backend_unavailable: return "backend_unavailable";
    case ErrorCode::control_unavailable: return "control_unavailable";
    case ErrorCode::runtime_missing: return "runtime_missing";
    case ErrorCode::setup_failed: return "setup_failed";
    case ErrorCode::exec_failed: return "exec_failed";
    case ErrorCode::io_error: return "io_error";
    case ErrorCode::output_too_large: return "output_too_large";
    case ErrorCode::invalid_transition: return "invalid_transition";
    case ErrorCode::secret_error: return "secret_error";
    case ErrorCode::audit_error: return "audit_error";
    case ErrorCode::audit_tampered: return "audit_tampered";
    case ErrorCode::gate_error: return "gate_error";
    case ErrorCode::output_blocked: return "output_blocked";
    case ErrorCode::output_quarantined: return "output_quarantined";
    case ErrorCode::audit_rollback: return "audit_rollback";
    case ErrorCode::policy_conflict: return "policy_conflict";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace kavach
