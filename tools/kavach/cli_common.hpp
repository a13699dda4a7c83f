// Shared bits of the CLI: one error style for every subcommand, JSON output, exit statuses.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kavach/error.hpp"

namespace kavach::cli {

// Every --json output carries this as "schema_version" (docs/json/*.schema.json). Raised when a
// field is removed or changes meaning; adding a field keeps it.
inline constexpr int kJsonSchemaVersion = 1;

// An error with a fix for the user: kept in the error's context under "hint".
[[nodiscard]] Error with_hint(Error e, std::string hint);

// {"code", "message", "context", "hint"?}: the inner object of every JSON error.
[[nodiscard]] nlohmann::json error_json(const Error& e);

// The one error style. Text: "kavach: error [code]: message" (with its stage when the context
// names one), then "hint: ..." lines. --json: {"schema_version":1,"error":{...}}. Both on stderr;
// returns the documented exit status for the code. The context's "mount_plan" (a set-up error's,
// for -v) is left out.
int report_error(const Error& e, bool json);

// "hint: ..." on stderr (continuation lines indented), as report_error prints a hint.
void print_hint(const std::string& hint);

// Prints `j` plus "schema_version" to stdout.
void print_json(nlohmann::json j);

// Dumps JSON that may carry raw output bytes (invalid UTF-8 replaced).
std::string dump_json(const nlohmann::json& j, int indent = 2);

// `kavach help exit-codes`: every exit status the CLI uses.
std::string exit_code_help();

}  // namespace kavach::cli
