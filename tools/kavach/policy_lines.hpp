// Where a key sits in a policy file, for errors about a flag that contradicts the file.
#pragma once

#include <string>

namespace kavach::cli {

// "FILE:LINE" for a key path like "fs.workdir", or "FILE" when the file does not set it.
[[nodiscard]] std::string policy_key_location(const std::string& file, const std::string& key);

}  // namespace kavach::cli
