// Feeds the words after the program name to a CLI11 app, as main() does with argv.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace kavach::cli {

// Throws CLI::ParseError like App::parse(argc, argv). CLI11's vector form takes the words in
// reverse order (it pops them from the back).
inline void parse_words(CLI::App& app, std::vector<std::string> words) {
  std::reverse(words.begin(), words.end());
  app.parse(words);
}

}  // namespace kavach::cli
