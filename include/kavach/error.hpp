// Errors are values: every fallible public call returns Result<T>.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace kavach {

// Each code is distinct so callers (and the CLI's exit status) can tell failures apart.
enum class ErrorCode {
  invalid_argument,     // a caller passed something malformed (builder, CLI)
  policy_parse,         // policy file is not valid TOML
  policy_unknown_key,   // policy file has a key we do not know
  policy_type,          // a key has the wrong type
  policy_value,         // a value is out of range / not allowed
  unknown_syscall,      // a syscall name the kernel ABI does not know
  path_not_absolute,    // a policy path must be absolute
  path_not_found,       // a path that must exist does not
  unknown_preset,
  unknown_backend,
  backend_unavailable,  // backend cannot run on this host (reason in message)
  control_unavailable,  // fail-closed: a required control cannot be applied here
  runtime_missing,      // an external runtime binary (runc, runsc, ...) is not installed
  setup_failed,         // sandbox set-up failed at a named stage
  exec_failed,          // the command could not be executed inside the sandbox
  io_error,
  output_too_large,
  invalid_transition,   // lifecycle FSM rejected an event
  secret_error,         // credential registration / resolution failed
  audit_error,          // audit log write / verify failure
  audit_tampered,       // audit log verification found tampering
  gate_error,           // the externalization gate could not scan
  output_blocked,       // the gate's verdict was `block`: the run's outputs were withheld
  output_quarantined,   // the gate's verdict was `quarantine`: outputs kept aside, not shown
  audit_rollback,       // an audit log was cut back behind its rollback anchor (old head put back)
  policy_conflict,      // two settings contradict each other (policy keys, or a flag and the policy)
  internal,
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::map<std::string, std::string> context;  // e.g. {"file","p.toml"},{"line","3"},{"stage","mounts"}

  // "message (key=value, ...)" for humans.
  [[nodiscard]] std::string describe() const;
};

template <class T>
using Result = tl::expected<T, Error>;

[[nodiscard]] Error make_error(ErrorCode code, std::string message,
                               std::map<std::string, std::string> context = {});

// tl::unexpected wrapper so `return fail(...)` works in any Result<T> function.
[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string message,
                                                std::map<std::string, std::string> context = {}) {
  return tl::unexpected<Error>(make_error(code, std::move(message), std::move(context)));
}

[[nodiscard]] std::string_view to_string(ErrorCode code);

}  // namespace kavach
