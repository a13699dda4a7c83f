// Small POSIX file helpers for the audit log (errors carry errno text and the path).
#pragma once

#include <filesystem>
#include <cstdint>
#include <optional>
#include <string>

#include "kavach/error.hpp"

namespace kavach::detail {

[[nodiscard]] Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& path);
// The last line of the file open at `fd` (without its '\n'), nullopt if the file is empty.
// Fails if the file does not end with '\n' (a torn or foreign write).
[[nodiscard]] Result<std::optional<std::string>> read_last_line(int fd, const std::filesystem::path& path);
// The same for the line that ends just before file offset `end` (which must be within the file).
[[nodiscard]] Result<std::optional<std::string>> read_line_ending_at(int fd, std::uint64_t end,
                                                                     const std::filesystem::path& path);
// A whole small file, nullopt if it does not exist.
[[nodiscard]] Result<std::optional<std::string>> read_small_file(const std::filesystem::path& path,
                                                                 std::size_t max_bytes);
// Replaces `path` atomically (temporary file + rename), mode 0600; fsyncs the data if `sync`.
[[nodiscard]] Result<void> replace_file(const std::filesystem::path& path, std::string_view data, bool sync);
// Overwrites `path` in place when it exists with exactly data.size() bytes (one pwrite, no new
// inode, no rename); otherwise falls back to replace_file. fdatasyncs if `sync`.
[[nodiscard]] Result<void> rewrite_file(const std::filesystem::path& path, std::string_view data, bool sync);
[[nodiscard]] Result<void> fsync_path(const std::filesystem::path& path, bool directory);
// mkdir -p, giving the directories it creates mode 0700.
[[nodiscard]] Result<void> make_private_dirs(const std::filesystem::path& dir);

}  // namespace kavach::detail

namespace kavach::detail {

// Reads lines from [start, end) of a file with pread, so a verifier can stop at a snapshot of
// the file's size while writers keep appending.
class LineReader {
 public:
  LineReader(int fd, std::uint64_t start, std::uint64_t end) : fd_(fd), pos_(start), end_(end) {}
  // Next line without its '\n'. `complete` is false for a last line that has no '\n'.
  // Returns false at the end, or on a read error (then failed() is true).
  bool next(std::string& line, bool& complete);
  [[nodiscard]] bool failed() const { return failed_; }
  // File offset just after the last line returned.
  [[nodiscard]] std::uint64_t offset() const { return pos_ - (buf_.size() - used_); }

 private:
  bool fill();
  int fd_;
  std::uint64_t pos_;  // file offset of the end of buf_
  std::uint64_t end_;
  std::string buf_;
  std::size_t used_ = 0;
  bool failed_ = false;
};

}  // namespace kavach::detail
