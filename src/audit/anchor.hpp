// The rollback anchor: the last anchored record of a log (seq, MAC, end offset), MACed and kept
// outside the log, in a directory its writer owns (docs/audit.md, "The rollback anchor"). A head can
// be put back from an old copy; the anchor only ever moves forward.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "audit/record.hpp"
#include "kavach/error.hpp"

namespace kavach::detail {

// Creates `dir` (and missing parents, mode 0700) and refuses one that group or others can write:
// an anchor there would prove nothing.
[[nodiscard]] Result<void> prepare_anchor_dir(const std::filesystem::path& dir);

// The authentic anchor of `log_id` in `dir`, nullopt when there is none (no file, or no
// directory). audit_tampered with reason anchor_malformed, anchor_modified (MAC mismatch) or
// anchor_mismatch (it anchors another log); audit_error when it cannot be read or the directory
// is writable by group or others.
[[nodiscard]] Result<std::optional<Anchor>> load_anchor(const std::filesystem::path& dir, std::string_view key,
                                                        std::string_view log_id);

// Is the anchored record still in the log open at `fd` (the caller holds its lock), whose last
// record is `last_seq` with MAC `last_mac`? Cheap: the anchor names the record's end offset, so
// at most one line is read. audit_rollback (reason rolled_back: the log ends before the anchored
// seq; forked: that seq now holds another record) when not.
[[nodiscard]] Result<void> check_anchor_against_log(int fd, const std::filesystem::path& log,
                                                    const std::filesystem::path& dir, std::string_view key,
                                                    const Anchor& anchor, std::uint64_t last_seq,
                                                    std::string_view last_mac);

// Moves the anchor of `point.log_id` forward to `point` and never back: a no-op when the stored
// anchor is at or past point.seq. Atomic and durable (temporary file, fsync, rename). The caller
// holds the log's exclusive lock, which orders every writer of that log.
[[nodiscard]] Result<void> advance_anchor(const std::filesystem::path& dir, std::string_view key,
                                          const AnchorPoint& point, const std::filesystem::path& log);

// audit_rollback for a log that ends at `last_seq` although its anchor records a later seq
// (`forked`: the anchored seq exists but holds another record). `prefix` starts the message.
[[nodiscard]] Error rollback_error(const std::string& prefix, const std::filesystem::path& log,
                                   const std::filesystem::path& anchor_file, const Anchor& anchor,
                                   std::uint64_t last_seq, bool forked);

}  // namespace kavach::detail
