// The whole `kavach` command line: every subcommand registered on one CLI::App.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kavach::cli {

// Registers --version and all subcommands on `app`; the one that runs writes its status to
// `exit_code`.
void register_all(CLI::App& app, int& exit_code);

// The CLI as main() runs it; `args` are the words after the program name. Help and --version go
// to stdout (status 0); a parse error is reported in the one error style (JSON when --json is
// among kavach's own options) with a hint, status 64.
int run_main(const std::vector<std::string>& args);

}  // namespace kavach::cli
