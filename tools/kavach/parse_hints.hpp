// Command-line slips, said in the one error style with their fix (`kavach run` without `--`,
// an unknown subcommand, a missing command).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kavach/error.hpp"

namespace kavach::cli {

// CLI11's parse error as an invalid_argument Error with a hint. `args`: the words after
// "kavach", as typed.
[[nodiscard]] Error parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args);

// True when --json is one of kavach's own words (before a `--`).
[[nodiscard]] bool wants_json(const std::vector<std::string>& args);

// `words` quoted for a POSIX shell where needed ('print(1)' keeps its quotes).
[[nodiscard]] std::string shell_words(const std::vector<std::string>& words);

}  // namespace kavach::cli
