#include "exit_codes.hpp"

namespace kavach {

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

int shell_status(const ExecResult& r) {
  if (r.exit_code) return *r.exit_code;
  if (r.signal) return 128 + *r.signal;
  return 1;
}

int scan_exit_code(gate::Verdict v) { return static_cast<int>(v); }

}  // namespace kavach
