// `kavach audit verify FILE [--key FILE] [--json]`
#pragma once

namespace CLI {
class App;
}

namespace kavach::cli {

// Adds the `audit` subcommand to `app`. When it runs it sets `exit_code`: 0 only for an intact
// log, cli_exit_code(audit_tampered) for tampering, cli_exit_code(audit_error) when the log or
// the key cannot be read.
void register_audit(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
