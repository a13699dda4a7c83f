// Quarantine store for `kavach run`: outputs the gate judged `quarantine` are kept aside (redacted,
// 0600 files in a 0700 directory per run) instead of being printed, for a human to review.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "kavach/result.hpp"
#include "kavach/sandbox.hpp"

namespace kavach::cli {

// --quarantine-dir, else $XDG_STATE_HOME/kavach/quarantine, else ~/.local/state/kavach/quarantine.
Result<std::filesystem::path> quarantine_root(const std::optional<std::filesystem::path>& flag);

// Writes `data` to `file`, never through a link: `replace` truncates an existing file, otherwise
// the file must not exist yet.
Result<void> write_file(const std::filesystem::path& file, const std::string& data, mode_t mode, bool replace);

// One file into ROOT/<sandbox id>/ (0600; directories 0700 and owned by this user).
Result<std::filesystem::path> quarantine_file(const std::filesystem::path& root, const std::string& sandbox_id,
                                              const std::string& name, const std::string& data);

// Writes stdout, stderr and the gate report of one run to ROOT/<sandbox id>/; returns that directory.
Result<std::filesystem::path> quarantine_outputs(const std::filesystem::path& root,
                                                 const std::string& sandbox_id, const RunReport& rep);

}  // namespace kavach::cli
