// Shared bits of the CLI: error printing and exit statuses.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kavach/error.hpp"

namespace kavach::cli {

// Prints "kavach: error [code]: message" (or a JSON object with --json) to stderr and returns the
// documented exit status for the error code.
int report_error(const Error& e, bool json);

// Dumps JSON that may carry raw output bytes (invalid UTF-8 replaced).
std::string dump_json(const nlohmann::json& j, int indent = 2);

// Text for --help: every exit status the CLI uses.
std::string exit_code_help();

}  // namespace kavach::cli
