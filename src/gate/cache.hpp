// Content-hash-keyed cache of compiled rule databases ($XDG_CACHE_HOME/kavach or ~/.cache/kavach).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kavach::gate::detail {

[[nodiscard]] std::string sha256_hex(std::string_view data);

// The cache directory, created 0700 if missing; nullopt when there is none we can trust (not
// ours, or writable by group/others: a planted database would change what the gate lets out).
[[nodiscard]] std::optional<std::filesystem::path> cache_dir(
    const std::optional<std::filesystem::path>& configured);

[[nodiscard]] std::optional<std::string> read_file(const std::filesystem::path& p);
// Atomic (temp file + rename), mode 0600. Best effort: false on any failure.
bool write_file_atomic(const std::filesystem::path& p, std::string_view data);

}  // namespace kavach::gate::detail
