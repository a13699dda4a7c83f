// The command line as data, read from the CLI11 definition itself: what the shell completions
// and the man page are generated from, so neither can drift from the parser.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kavach::cli {

struct OptionInfo {
  std::vector<std::string> names;    // "-q", "--quiet"
  bool takes_value = false;
  std::string value_name;            // "DIR", "UINT", "TEXT"
  std::vector<std::string> choices;  // a closed set of values, when there is one
  bool repeatable = false;
  std::string help;
};

struct PositionalInfo {
  std::string name;
  std::string help;
  std::vector<std::string> choices;
  bool required = false;
  bool is_command = false;  // `kavach run`'s command: completes as a program name
};

struct CommandInfo {
  std::string path;  // "" for kavach itself, "run", "policy check"
  std::string help;
  std::string footer;
  std::vector<std::string> subcommands;
  std::vector<std::pair<std::string, std::string>> subcommand_help;  // name, description
  std::vector<OptionInfo> options;
  std::vector<PositionalInfo> positionals;
};

// Every command, depth first from `app` ("" first).
[[nodiscard]] std::vector<CommandInfo> describe_cli(const CLI::App& app);

}  // namespace kavach::cli
