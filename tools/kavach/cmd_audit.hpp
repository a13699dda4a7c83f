// `kavach audit verify FILE [--key FILE] [--anchor-dir DIR] [--require-anchor] [--json]`
#pragma once

namespace CLI {
class App;
}

namespace kavach::cli {

// Adds the `audit` subcommand to `app`. When it runs it sets `exit_code`: 0 only for an intact
// log, cli_exit_code(audit_rollback) when its anchor shows it was cut back,
// cli_exit_code(audit_tampered) for tampering, cli_exit_code(audit_error) when the log, the key
// or the anchor cannot be read.
void register_audit(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
