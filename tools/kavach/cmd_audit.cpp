#include "cmd_audit.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "kavach/audit_log.hpp"
#include "kavach/error.hpp"

namespace kavach::cli {
namespace {

struct VerifyOptions {
  std::string file;
  std::string key_file;
  bool json = false;
};

int run_verify(const VerifyOptions& o) {
  std::optional<std::filesystem::path> key_file;
  if (!o.key_file.empty()) key_file = o.key_file;
  // Verifying never creates a key: a missing per-user key is an error, not a fresh key.
  auto key = AuditKey::resolve(key_file, /*create_default=*/false);
  Result<AuditVerifyReport> result =
      key ? verify_audit_log(o.file, *key) : Result<AuditVerifyReport>(tl::unexpected(key.error()));

  if (o.json) {
    nlohmann::json j{{"file", o.file}, {"intact", result.has_value()}};
    if (result) {
      j["records"] = result->records;
      j["last_seq"] = result->last_seq;
      j["log_id"] = result->log_id;
    } else {
      j["error"] = {{"code", std::string(to_string(result.error().code))},
                    {"message", result.error().message},
                    {"context", result.error().context}};
    }
    std::cout << j.dump(2) << "\n";
  } else if (result) {
    std::cout << "audit log " << o.file << ": intact (" << result->records << " records, last seq "
              << result->last_seq << ", log id " << result->log_id << ")\n";
  } else {
    const char* label = result.error().code == ErrorCode::audit_tampered ? "NOT INTACT" : "cannot verify";
    std::cerr << "kavach audit verify: " << label << ": " << result.error().message << "\n";
  }
  return result ? 0 : cli_exit_code(result.error().code);
}

}  // namespace

void register_audit(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "Audit log tools");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify",
      "Verify a hash-chained audit log and its sealed head (FILE.head). Exit 0 only if intact; " +
          std::to_string(cli_exit_code(ErrorCode::audit_tampered)) + " if tampered (first bad record named), " +
          std::to_string(cli_exit_code(ErrorCode::audit_error)) + " if the log or key cannot be read.");
  auto opts = std::make_shared<VerifyOptions>();
  verify->add_option("FILE", opts->file, "audit log (JSON lines)")->required();
  verify->add_option("--key", opts->key_file,
                     "HMAC key file (hex); default: $KAVACH_AUDIT_KEY_FILE, else "
                     "$XDG_STATE_HOME/kavach/audit.key or ~/.local/state/kavach/audit.key");
  verify->add_flag("--json", opts->json, "print the result as JSON");
  verify->callback([opts, &exit_code] { exit_code = run_verify(*opts); });
}

}  // namespace kavach::cli
