// Rollback anchors: load, check against a log, advance (never back).
#include "audit/anchor.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "audit/file_io.hpp"
#include "audit/mac.hpp"
#include "audit/state_dir.hpp"
#include "kavach/audit_log.hpp"

namespace kavach::detail {
namespace {

// An anchor holds a path, so it may be longer than a head; anything larger is not an anchor.
constexpr std::size_t kMaxAnchorBytes = 16384;

Error anchor_problem(const std::filesystem::path& file, std::string_view log_id, std::string what,
                     std::string reason) {
  return make_error(ErrorCode::audit_tampered, "rollback anchor " + file.string() + " " + std::move(what),
                    {{"anchor_file", file.string()}, {"log_id", std::string(log_id)}, {"reason", std::move(reason)}});
}

Error dir_error(const std::filesystem::path& dir, std::string what) {
  return make_error(ErrorCode::audit_error, "rollback anchor directory " + dir.string() + " " + std::move(what),
                    {{"anchor_dir", dir.string()}});
}

// nullopt: `dir` does not exist (so neither does any anchor in it).
Result<std::optional<struct stat>> stat_dir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<struct stat>{};
    return tl::unexpected(dir_error(dir, std::string("cannot be read: ") + std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) return tl::unexpected(dir_error(dir, "is not a directory"));
  if ((st.st_mode & 022) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return tl::unexpected(dir_error(dir, std::string("is writable by group or others (mode ") + mode +
                                             "), so an anchor in it proves nothing; run chmod 700 on it"));
  }
  return std::optional<struct stat>(st);
}

std::string records_range(std::uint64_t from, std::uint64_t to) {
  return from == to ? "record " + std::to_string(from) + " was"
                    : "records " + std::to_string(from) + ".." + std::to_string(to) + " were";
}

}  // namespace

Result<void> prepare_anchor_dir(const std::filesystem::path& dir) {
  if (auto r = make_private_dirs(dir); !r) return r;
  auto st = stat_dir(dir);
  if (!st) return tl::unexpected(st.error());
  if (!*st) return tl::unexpected(dir_error(dir, "vanished after it was created"));
  return {};
}

Result<std::optional<Anchor>> load_anchor(const std::filesystem::path& dir, std::string_view key,
                                          std::string_view log_id) {
  auto st = stat_dir(dir);
  if (!st) return tl::unexpected(st.error());
  if (!*st) return std::optional<Anchor>{};
  const auto file = audit_anchor_path(dir, log_id);
  auto text = read_small_file(file, kMaxAnchorBytes);
  if (!text) {
    if (text.error().code == ErrorCode::audit_tampered) {
      return tl::unexpected(anchor_problem(file, log_id, "is not an anchor (too large)", "anchor_malformed"));
    }
    return tl::unexpected(text.error());
  }
  if (!*text) return std::optional<Anchor>{};
  auto anchor = parse_anchor(**text);
  if (!anchor) return tl::unexpected(anchor_problem(file, log_id, "is malformed", "anchor_malformed"));
  if (!anchor_authentic(key, *anchor)) {
    return tl::unexpected(anchor_problem(file, log_id, "was modified (MAC mismatch)", "anchor_modified"));
  }
  if (anchor->point.log_id != log_id) {
    return tl::unexpected(anchor_problem(
        file, log_id, "anchors another log (log id " + anchor->point.log_id + ", this log is " + std::string(log_id) + ")",
        "anchor_mismatch"));
  }
  anchor->body = {};  // pointed into `text`
  return anchor;
}

Error rollback_error(const std::string& prefix, const std::filesystem::path& log,
                     const std::filesystem::path& anchor_file, const Anchor& anchor, std::uint64_t last_seq,
                     bool forked) {
  const std::uint64_t anchored = anchor.point.seq;
  std::string message = prefix;
  if (forked) {
    message += "rolled back and written again: its rollback anchor " + anchor_file.string() + " records seq " +
               std::to_string(anchored) + ", but the log's record " + std::to_string(anchored) +
               " is another one (the log was cut back before seq " + std::to_string(anchored) +
               " and appended to since)";
  } else {
    message += "rolled back: the log ends at seq " + std::to_string(last_seq) + " but its rollback anchor " +
               anchor_file.string() + " records seq " + std::to_string(anchored) + ": " +
               records_range(last_seq + 1, anchored) + " cut off and an older head put back";
  }
  return make_error(ErrorCode::audit_rollback, std::move(message),
                    {{"path", log.string()},
                     {"reason", forked ? "forked" : "rolled_back"},
                     {"anchor_file", anchor_file.string()},
                     {"anchor_seq", std::to_string(anchored)},
                     {"last_seq", std::to_string(last_seq)}});
}

Result<void> check_anchor_against_log(int fd, const std::filesystem::path& log, const std::filesystem::path& dir,
                                      std::string_view key, const Anchor& anchor, std::uint64_t last_seq,
                                      std::string_view last_mac) {
  const AnchorPoint& a = anchor.point;
  const auto file = audit_anchor_path(dir, a.log_id);
  if (a.seq > last_seq) return tl::unexpected(rollback_error("", log, file, anchor, last_seq, false));
  if (a.seq == last_seq) {
    if (mac_equal(a.mac, last_mac)) return {};
    return tl::unexpected(rollback_error("", log, file, anchor, last_seq, true));
  }
  // Records were appended since: the anchored one must still end where it ended when anchored
  // (the log is append-only, so its offset never changes).
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return fail(ErrorCode::audit_error, "cannot stat " + log.string() + ": " + std::strerror(errno),
                {{"path", log.string()}});
  }
  if (a.end <= static_cast<std::uint64_t>(st.st_size)) {
    auto line = read_line_ending_at(fd, a.end, log);
    if (!line && line.error().code != ErrorCode::audit_tampered) return tl::unexpected(line.error());
    if (line && *line) {
      const auto r = parse_record(**line);
      if (r && r->seq == a.seq && r->log_id == a.log_id && mac_equal(r->mac, a.mac) && record_authentic(key, *r)) {
        return {};
      }
    }
  }
  return tl::unexpected(rollback_error("", log, file, anchor, last_seq, true));
}

Result<void> advance_anchor(const std::filesystem::path& dir, std::string_view key, const AnchorPoint& point,
                            const std::filesystem::path& log) {
  auto current = load_anchor(dir, key, point.log_id);
  if (!current) return tl::unexpected(current.error());
  if (*current && (*current)->point.seq >= point.seq) return {};  // another writer got further
  const bool first = !*current;
  if (first) {
    if (auto r = prepare_anchor_dir(dir); !r) return r;
  }
  std::error_code ec;
  auto where = std::filesystem::absolute(log, ec);
  if (ec) where = log;
  const auto file = audit_anchor_path(dir, point.log_id);
  if (auto r = replace_file(file, make_anchor(key, point, where.string()), /*sync=*/true); !r) return r;
  // A lost rename only leaves an older anchor behind (weaker, never wrong); a lost first anchor
  // would leave none, so its directory entry is synced.
  if (first) return fsync_path(dir, true);
  return {};
}

}  // namespace kavach::detail

namespace kavach {

std::filesystem::path audit_anchor_path(const std::filesystem::path& dir, std::string_view log_id) {
  return dir / std::string(log_id);
}

Result<std::filesystem::path> default_audit_anchor_dir() {
  const auto dir = detail::audit_state_dir();
  if (!dir) {
    return fail(ErrorCode::audit_error,
                "no place for audit rollback anchors: neither XDG_STATE_HOME nor HOME is set; pass an anchor directory");
  }
  return *dir / "audit-anchors";
}

Result<std::filesystem::path> resolve_audit_anchor_dir(const std::optional<std::filesystem::path>& explicit_dir) {
  if (explicit_dir) return *explicit_dir;
  if (const char* env = std::getenv("KAVACH_AUDIT_ANCHOR_DIR"); env != nullptr && env[0] != '\0') {
    return std::filesystem::path(env);
  }
  return default_audit_anchor_dir();
}

}  // namespace kavach
