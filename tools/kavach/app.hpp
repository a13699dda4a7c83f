// The whole `kavach` command line: every subcommand registered on one CLI::App.
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

// Registers all subcommands on `app`; the one that runs writes its status to `exit_code`.
void register_all(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
