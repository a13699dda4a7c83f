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

int cli_exit_code(ErrorCode code) {
  // 64.. keeps clear of the command's own statuses we pass through (0-63 common, 124-128+N).
  switch (code) {
    case ErrorCode::invalid_argument: return 64;
    case ErrorCode::policy_parse: return 65;
    case ErrorCode::policy_unknown_key: return 66;
    case ErrorCode::policy_type: return 67;
    case ErrorCode::policy_value: return 68;
    case ErrorCode::unknown_syscall: return 69;
    case ErrorCode::path_not_absolute: return 70;
    case ErrorCode::path_not_found: return 71;
    case ErrorCode::unknown_preset: return 72;
    case ErrorCode::unknown_backend: return 73;
    case ErrorCode::backend_unavailable: return 74;
    case ErrorCode::control_unavailable: return 75;
    case ErrorCode::runtime_missing: return 76;
    case ErrorCode::setup_failed: return 77;
    case ErrorCode::exec_failed: return 78;
    case ErrorCode::io_error: return 79;
    case ErrorCode::output_too_large: return 80;
    case ErrorCode::invalid_transition: return 81;
    case ErrorCode::secret_error: return 82;
    case ErrorCode::audit_error: return 83;
    case ErrorCode::audit_tampered: return 84;
    case ErrorCode::gate_error: return 85;
    case ErrorCode::internal: return 86;
    case ErrorCode::output_blocked: return 87;
    case ErrorCode::output_quarantined: return 88;
    case ErrorCode::audit_rollback: return 89;
    case ErrorCode::policy_conflict: return 90;
  }
  return 86;
}

}  // namespace kavach
