// Where kavach keeps a user's audit state (the per-user key, rollback anchors).
#pragma once

#include <filesystem>
#include <optional>

namespace kavach::detail {

// $XDG_STATE_HOME/kavach, else ~/.local/state/kavach ($HOME, else the passwd entry); nullopt when
// none of them is an absolute path.
[[nodiscard]] std::optional<std::filesystem::path> audit_state_dir();

}  // namespace kavach::detail
