// Shell completions for bash, zsh and fish, generated from the CLI definition (cli_walk.hpp):
// subcommands, options, the values of options with a closed set, files where a path goes, and
// after `--` the sandboxed command (a program name, then files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli_walk.hpp"
#include "kavach/error.hpp"

namespace kavach::cli {

inline constexpr std::string_view kCompletionShells[] = {"bash", "zsh", "fish"};

// The completion script for `shell`; invalid_argument for a shell kavach has none for.
[[nodiscard]] Result<std::string> completion_script(const std::vector<CommandInfo>& cli, std::string_view shell);

}  // namespace kavach::cli
