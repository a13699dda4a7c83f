#include "cmd_audit.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli_common.hpp"
#include "kavach/audit_log.hpp"
#include "kavach/error.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

struct VerifyOptions {
  std::string file;
  std::string key_file;
  std::string anchor_dir;
  bool require_anchor = false;
  bool json = false;
};

Result<AuditVerifyReport> verify(const VerifyOptions& o) {
  std::optional<std::filesystem::path> key_file;
  if (!o.key_file.empty()) key_file = o.key_file;
  // Verifying never creates a key: a missing per-user key is an error, not a fresh key.
  auto key = AuditKey::resolve(key_file, /*create_default=*/false);
  if (!key) return tl::unexpected(key.error());
  std::optional<std::filesystem::path> anchor_dir;
  if (!o.anchor_dir.empty()) anchor_dir = o.anchor_dir;
  AuditVerifyOptions options;
  options.require_anchor = o.require_anchor;
  auto dir = resolve_audit_anchor_dir(anchor_dir);
  if (!dir) return tl::unexpected(dir.error());
  options.anchor_dir = std::move(*dir);
  return verify_audit_log(o.file, *key, options);
}

nlohmann::json anchor_json(const AuditVerifyReport& r) {
  nlohmann::json j{{"state", std::string(to_string(r.anchor))}, {"file", r.anchor_file.string()}};
  if (r.anchor == AuditAnchorState::matched) j["seq"] = r.anchor_seq;
  return j;
}

// A verdict about the log: tampered or rolled back. Anything else kept it from being checked.
bool is_verdict(const Error& e) {
  return e.code == ErrorCode::audit_tampered || e.code == ErrorCode::audit_rollback;
}

void print_text(const VerifyOptions& o, const Result<AuditVerifyReport>& result) {
  if (!result) {
    const char* label = result.error().code == ErrorCode::audit_rollback ? "ROLLED BACK" : "NOT INTACT";
    std::cerr << "kavach audit verify: " << label << ": " << result.error().message << "\n";
    return;
  }
  std::cout << "audit log " << o.file << ": intact (" << result->records << " records, last seq "
            << result->last_seq << ", log id " << result->log_id << ")\n";
  if (result->anchor == AuditAnchorState::matched) {
    std::cout << "rollback anchor " << result->anchor_file.string() << ": matches (seq " << result->anchor_seq
              << ")\n";
  } else {
    // Said every time: an intact log without an anchor may still have been cut back.
    std::cout << "no rollback anchor (" << result->anchor_file.string()
              << " does not exist): truncation to an earlier sealed head cannot be detected\n";
  }
}

int run_verify(const VerifyOptions& o) {
  const Result<AuditVerifyReport> result = verify(o);
  // A log, key or anchor that cannot be read is an error like any other: not a verdict.
  if (!result && !is_verdict(result.error())) return report_error(result.error(), o.json);
  if (o.json) {
    nlohmann::json j{{"file", o.file}, {"intact", result.has_value()}, {"schema_version", kJsonSchemaVersion}};
    if (result) {
      j["records"] = result->records;
      j["last_seq"] = result->last_seq;
      j["log_id"] = result->log_id;
      j["anchor"] = anchor_json(*result);
    } else {
      j["error"] = error_json(result.error());
    }
    std::cout << j.dump(2) << "\n";
  } else {
    print_text(o, result);
  }
  return result ? 0 : cli_exit_code(result.error().code);
}

}  // namespace

void register_audit(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "audit log tools");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand(
      "verify", "verify a hash-chained audit log, its sealed head (FILE.head) and its rollback anchor");
  verify->footer("Exit 0 only if intact; " + std::to_string(cli_exit_code(ErrorCode::audit_rollback)) +
                 " if the anchor shows the log was cut back (an older head put back); " +
                 std::to_string(cli_exit_code(ErrorCode::audit_tampered)) + " if tampered (first bad record named), " +
                 std::to_string(cli_exit_code(ErrorCode::audit_error)) + " if the log, key or anchor cannot be read.");
  auto opts = std::make_shared<VerifyOptions>();
  verify->add_option("FILE", opts->file, "audit log (JSON lines)")->required();
  verify->add_option("--key", opts->key_file,
                     "HMAC key file (hex); default: $KAVACH_AUDIT_KEY_FILE, else "
                     "$XDG_STATE_HOME/kavach/audit.key or ~/.local/state/kavach/audit.key");
  verify->add_option("--anchor-dir", opts->anchor_dir,
                     "directory of rollback anchors; default: $KAVACH_AUDIT_ANCHOR_DIR, else "
                     "$XDG_STATE_HOME/kavach/audit-anchors or ~/.local/state/kavach/audit-anchors");
  verify->add_flag("--require-anchor", opts->require_anchor,
                   "fail (" + std::to_string(cli_exit_code(ErrorCode::audit_tampered)) +
                       ") when the log has no rollback anchor, instead of saying so");
  verify->add_flag("--json", opts->json, "print the result as JSON");
  verify->callback([opts, &exit_code] { exit_code = run_verify(*opts); });
}

}  // namespace kavach::cli
