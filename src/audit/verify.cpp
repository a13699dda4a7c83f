// verify_audit_log: walks the chain and names the first record that does not fit.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "audit/anchor.hpp"
#include "audit/file_io.hpp"
#include "audit/mac.hpp"
#include "audit/record.hpp"
#include "kavach/audit_log.hpp"

namespace kavach {
namespace {

// audit_tampered naming the first bad record (line 0: the head or the log as a whole).
tl::unexpected<Error> report(const std::filesystem::path& path, const std::string& message, const std::string& reason,
                             std::uint64_t line = 0, std::optional<std::uint64_t> seq = std::nullopt) {
  std::map<std::string, std::string> ctx{{"path", path.string()}, {"reason", reason}};
  std::string where;
  if (line > 0) {
    ctx.emplace("line", std::to_string(line));
    where = "line " + std::to_string(line);
    if (seq) {
      ctx.emplace("seq", std::to_string(*seq));
      where += " (seq " + std::to_string(*seq) + ")";
    }
    where += ": ";
  }
  return fail(ErrorCode::audit_tampered, "audit log " + path.string() + ": " + where + message, std::move(ctx));
}

// Is there, after `from`, an authentic record of this log with sequence `seq`?
// Only consulted on a sequence gap, to tell reordering from deletion.
bool appears_later(int fd, std::uint64_t from, std::uint64_t end, std::string_view key, std::string_view log_id,
                   std::uint64_t seq) {
  detail::LineReader rest(fd, from, end);
  std::string line;
  bool complete = true;
  while (rest.next(line, complete)) {
    const auto r = detail::parse_record(line);
    if (r && r->seq == seq && r->log_id == log_id && detail::record_authentic(key, *r)) return true;
  }
  return false;
}

// Closes a descriptor at scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// An anchor finding, told about the log at `path`.
tl::unexpected<Error> about_log(const std::filesystem::path& path, Error e) {
  if (e.code != ErrorCode::audit_error) {
    e.message = "audit log " + path.string() + ": " + e.message;
    e.context.emplace("path", path.string());
  }
  return tl::unexpected(std::move(e));
}

}  // namespace

std::string_view to_string(AuditAnchorState state) {
  switch (state) {
    case AuditAnchorState::not_checked: return "not_checked";
    case AuditAnchorState::missing: return "missing";
    case AuditAnchorState::matched: return "matched";
  }
  return "not_checked";
}

Result<AuditVerifyReport> verify_audit_log(const std::filesystem::path& path, const AuditKey& key,
                                           const AuditVerifyOptions& options) {
  const std::string_view k = key.bytes();
  const auto head_path = audit_head_path(path);
  const Fd log{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY)};
  if (log.fd < 0) {
    const int e = errno;
    return fail(ErrorCode::audit_error, "cannot open audit log " + path.string() + ": " + std::strerror(e),
                {{"path", path.string()}});
  }
  // Snapshot under a shared lock: writers append the record, then the head, then the anchor while
  // holding the exclusive lock, so the head, the log size and the anchor read here belong
  // together (an anchor read later could be ahead of the snapshot). The log is append-only, so
  // checking the bytes up to that size is checking the snapshot.
  while (::flock(log.fd, LOCK_SH) != 0 && errno == EINTR) {
  }
  auto head_text = detail::read_small_file(head_path, 4096);
  struct stat st {};
  const bool stat_ok = ::fstat(log.fd, &st) == 0;
  std::optional<detail::Head> head;
  if (head_text && *head_text) head = detail::parse_head(**head_text);
  Result<std::optional<detail::Anchor>> anchor = std::optional<detail::Anchor>{};
  if (head && options.anchor_dir) anchor = detail::load_anchor(*options.anchor_dir, k, head->log_id);
  (void)::flock(log.fd, LOCK_UN);
  if (!head_text) return tl::unexpected(head_text.error());
  if (!stat_ok) return fail(ErrorCode::audit_error, "cannot stat audit log " + path.string(), {{"path", path.string()}});
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (!*head_text) {
    return report(path, "its sealed head " + head_path.string() +
                            " is missing; a log without its head does not verify (records may have been "
                            "deleted from the end)",
                  "head_missing");
  }
  if (!head) return report(path, "its head " + head_path.string() + " is malformed", "head_malformed");

  detail::LineReader in(log.fd, 0, size);
  bool complete = true;
  std::string line;
  if (!detail::head_authentic(k, *head)) {
    // Tell a wrong key from a forged head: with the right key the first record authenticates.
    std::optional<detail::Record> first;
    if (in.next(line, complete)) first = detail::parse_record(line);
    if (!first || !detail::record_authentic(k, *first)) {
      return report(path, "wrong key: neither the head nor the first record authenticates with it", "wrong_key");
    }
    return report(path, "its head " + head_path.string() + " was modified (MAC mismatch)", "head_modified");
  }

  std::uint64_t line_no = 0;
  std::uint64_t expected = 1;
  std::string prev = detail::genesis_mac(k, head->log_id);
  // The anchored seq, once the scan reaches it: does it hold the anchored record?
  const std::uint64_t anchored_seq = anchor && *anchor ? (*anchor)->point.seq : 0;
  bool anchored_record_matches = false;
  while (in.next(line, complete)) {
    ++line_no;
    if (!complete) return report(path, "partial record (no newline at the end of the file)", "malformed", line_no);
    const auto r = detail::parse_record(line);
    if (!r) return report(path, "not a valid audit record", "malformed", line_no);
    const std::uint64_t seq = r->seq;
    if (!detail::record_authentic(k, *r)) {
      return report(path, "record was modified (MAC mismatch)", "modified", line_no, seq);
    }
    if (r->log_id != head->log_id) {
      return report(path, "record comes from another log (log id " + r->log_id + ", this log is " + head->log_id + ")",
                           "foreign_record", line_no, seq);
    }
    if (seq < expected) {
      return report(path, "seq " + std::to_string(seq) + " appears after seq " + std::to_string(expected - 1) +
                               " (records reordered or duplicated)",
                           seq + 1 == expected ? "duplicated" : "reordered", line_no, seq);
    }
    if (seq > expected) {
      if (appears_later(log.fd, in.offset(), size, k, head->log_id, expected)) {
        return report(path, "expected seq " + std::to_string(expected) + " here, it comes later (records reordered)",
                             "reordered", line_no, seq);
      }
      const std::string missing = seq == expected + 1 ? "record " + std::to_string(expected)
                                                      : "records " + std::to_string(expected) + ".." + std::to_string(seq - 1);
      return report(path, "expected seq " + std::to_string(expected) + ": " + missing + " deleted", "deleted", line_no, seq);
    }
    if (!detail::mac_equal(r->prev, prev)) {
      return report(path, "prev does not match the MAC of the record before it (chain broken)", "chain_broken",
                           line_no, seq);
    }
    prev = r->mac;
    if (seq == anchored_seq) anchored_record_matches = detail::mac_equal(r->mac, (*anchor)->point.mac);
    ++expected;
  }
  if (in.failed()) {
    return fail(ErrorCode::audit_error, "cannot read audit log " + path.string(), {{"path", path.string()}});
  }

  const std::uint64_t last = expected - 1;
  if (head->seq > last) {
    return report(path, "log ends at seq " + std::to_string(last) + " but its head seals seq " +
                             std::to_string(head->seq) + ": records " + std::to_string(last + 1) + ".." +
                             std::to_string(head->seq) + " were deleted from the end",
                         "truncated", line_no + 1, last + 1);
  }
  if (head->seq < last) {
    return report(path, "records after seq " + std::to_string(head->seq) +
                             " are not sealed by the head (an interrupted append, or an old head put back); "
                             "the next append reseals one such record",
                         "unsealed", head->seq + 1, head->seq + 1);
  }
  if (!detail::mac_equal(head->mac, prev)) {
    return report(path, "the head does not seal the last record (MAC mismatch)", "head_mismatch", line_no, last);
  }

  // The log is consistent with itself; is it as long as it once was?
  AuditVerifyReport out;
  out.records = last;
  out.last_seq = last;
  out.log_id = head->log_id;
  if (!options.anchor_dir) return out;
  if (!anchor) return about_log(path, anchor.error());
  out.anchor_file = audit_anchor_path(*options.anchor_dir, head->log_id);
  if (!*anchor) {
    if (options.require_anchor) {
      return report(path, "it has no rollback anchor (" + out.anchor_file.string() +
                              " does not exist), and one is required: truncation to an earlier sealed head "
                              "cannot be detected",
                    "anchor_missing");
    }
    out.anchor = AuditAnchorState::missing;
    return out;
  }
  if (anchored_seq > last || !anchored_record_matches) {
    return about_log(path, detail::rollback_error("", path, out.anchor_file, **anchor, last,
                                                  /*forked=*/anchored_seq <= last));
  }
  out.anchor = AuditAnchorState::matched;
  out.anchor_seq = anchored_seq;
  return out;
}

}  // namespace kavach
