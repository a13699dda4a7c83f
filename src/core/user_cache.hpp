// kavach's per-user cache directory ($XDG_CACHE_HOME/kavach or ~/.cache/kavach): content-hash-keyed
// entries that are only ever derived data (compiled gate databases, compiled seccomp programs), so
// any doubt about an entry means "rebuild it", never "use it".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kavach::user_cache {

[[nodiscard]] std::string sha256_hex(std::string_view data);

// Where kavach keeps per-user data that later runs trust, without creating anything:
// cache_root() = $XDG_CACHE_HOME/kavach or ~/.cache/kavach (compiled seccomp programs, gate
// databases); state_root() = $XDG_STATE_HOME/kavach or ~/.local/state/kavach (audit key and
// anchors, quarantined output). HOME falls back to the passwd entry. nullopt: no home at all.
// A sandbox must never be able to write into either (backends/common/host_paths refuses such
// writable paths).
[[nodiscard]] std::optional<std::filesystem::path> cache_root();
[[nodiscard]] std::optional<std::filesystem::path> state_root();

// The cache directory, created 0700 if missing; nullopt when there is none we can trust (not
// ours, or writable by group/others: a planted entry would change what kavach enforces), or when
// no directory is configured and KAVACH_NO_CACHE is set (to anything but 0).
[[nodiscard]] std::optional<std::filesystem::path> cache_dir(
    const std::optional<std::filesystem::path>& configured);

[[nodiscard]] std::optional<std::string> read_file(const std::filesystem::path& p);
// A cache entry's bytes, only if it is a regular file (no symlink is followed) owned by us with
// no group/other permissions and at most `max_bytes` long: checked on the descriptor read.
// nullopt is a doubt (absent, foreign, loosened, too large, unreadable): the caller rebuilds.
[[nodiscard]] std::optional<std::string> read_entry(const std::filesystem::path& p, std::size_t max_bytes);
// Atomic (temp file + rename), mode 0600. Best effort: false on any failure.
bool write_file_atomic(const std::filesystem::path& p, std::string_view data);

}  // namespace kavach::user_cache
