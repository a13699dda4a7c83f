// Each subcommand registers itself on the app; `exit_code` receives the command's status.
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

void register_run(CLI::App& app, int& exit_code);
void register_backends(CLI::App& app, int& exit_code);
void register_doctor(CLI::App& app, int& exit_code);
void register_score(CLI::App& app, int& exit_code);
void register_policy(CLI::App& app, int& exit_code);
// `kavach help [SUBCOMMAND|exit-codes]`
void register_help(CLI::App& app, int& exit_code);
// `kavach completion bash|zsh|fish`
void register_completion(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
