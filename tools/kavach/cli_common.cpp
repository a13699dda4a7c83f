#include "cli_common.hpp"

#include <cstdio>

namespace kavach::cli {

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int report_error(const Error& e, bool json) {
  if (json) {
    nlohmann::json out = {{"error", {{"code", std::string(to_string(e.code))},
                                     {"message", e.message},
                                     {"context", e.context}}}};
    std::fprintf(stderr, "%s\n", dump_json(out).c_str());
  } else {
    std::fprintf(stderr, "kavach: error [%s]: %s\n", std::string(to_string(e.code)).c_str(),
                 e.message.c_str());
  }
  return cli_exit_code(e.code);
}

std::string exit_code_help() {
  std::string s =
      "Exit status:\n"
      "  run      the sandboxed command's own exit status, or 128+N when signal N ended it\n"
      "           (a wall-clock timeout kills with SIGKILL: 137, and timed_out=true in --json);\n"
      "           the gate's verdict wins when it is quarantine (88) or block (87)\n"
      "  scan     0 pass, 1 warn, 2 quarantine, 3 block\n"
      "  others   0 success\n"
      "  kavach's own errors (a command may exit with these numbers too; with --json a kavach error\n"
      "  prints {\"error\":{\"code\":...}} on stderr and no result on stdout):\n";
  for (ErrorCode c : {ErrorCode::invalid_argument, ErrorCode::policy_parse, ErrorCode::policy_unknown_key,
                      ErrorCode::policy_type, ErrorCode::policy_value, ErrorCode::unknown_syscall,
                      ErrorCode::path_not_absolute, ErrorCode::path_not_found, ErrorCode::unknown_preset,
                      ErrorCode::unknown_backend, ErrorCode::backend_unavailable,
                      ErrorCode::control_unavailable, ErrorCode::runtime_missing, ErrorCode::setup_failed,
                      ErrorCode::exec_failed, ErrorCode::io_error, ErrorCode::output_too_large,
                      ErrorCode::invalid_transition, ErrorCode::secret_error, ErrorCode::audit_error,
                      ErrorCode::audit_tampered, ErrorCode::gate_error, ErrorCode::internal,
                      ErrorCode::output_blocked, ErrorCode::output_quarantined, ErrorCode::audit_rollback}) {
    s += "    " + std::to_string(cli_exit_code(c)) + "  " + std::string(to_string(c)) + "\n";
  }
  return s;
}

}  // namespace kavach::cli
