// `kavach scan [FILE...|-] [--rules FILE] [--json]`: the externalization gate on files or stdin.
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

// Adds the `scan` subcommand. Its exit status is the worst verdict (0 pass, 1 warn,
// 2 quarantine, 3 block), or the error's cli_exit_code when the scan could not run.
void register_scan(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
