#include "policy_lines.hpp"

#include <toml++/toml.h>

namespace kavach::cli {

std::string policy_key_location(const std::string& file, const std::string& key) {
  try {
    const toml::table root = toml::parse_file(file);
    if (const toml::node* n = root.at_path(key).node(); n != nullptr) {
      return file + ":" + std::to_string(n->source().begin.line);
    }
  } catch (const toml::parse_error&) {
    // The file was read once already; a file changed since is named without a line.
  }
  return file;
}

}  // namespace kavach::cli
