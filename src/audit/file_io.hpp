// Small POSIX file helpers for the audit log (errors carry errno text and the path).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "kavach/error.hpp"

namespace kavach::detail {

[[nodiscard]] Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& path);
// The last line of the file open at `fd` (without its '\n'), nullopt if the file is empty.
// Fails if the file does not end with '\n' (a torn or foreign write).
[[nodiscard]] Result<std::optional<std::string>> read_last_line(int fd, const std::filesystem::path& path);
// A whole small file, nullopt if it does not exist.
[[nodiscard]] Result<std::optional<std::string>> read_small_file(const std::filesystem::path& path,
                                                                 std::size_t max_bytes);
// Replaces `path` atomically (temporary file + rename), mode 0600; fsyncs the data if `sync`.
[[nodiscard]] Result<void> replace_file(const std::filesystem::path& path, std::string_view data, bool sync);
[[nodiscard]] Result<void> fsync_path(const std::filesystem::path& path, bool directory);

}  // namespace kavach::detail
