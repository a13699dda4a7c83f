// Audit sinks: an in-process callback, a hash-chained JSON-lines file (HMAC-SHA256, sealed head)
// and syslog/journald. All implement AuditHook, so they plug into SandboxConfig::hooks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "kavach/audit.hpp"
#include "kavach/error.hpp"

namespace kavach {

namespace detail {
class SecureBuffer;
}

// Calls `callback` for every event; exceptions it throws are counted, never propagated.
class CallbackAuditSink final : public AuditHook {
 public:
  using Callback = std::function<void(const AuditEvent&)>;
  explicit CallbackAuditSink(Callback callback);
  void on_event(const AuditEvent& event) noexcept override;
  [[nodiscard]] std::size_t failures() const;

 private:
  Callback callback_;
  std::size_t failures_ = 0;
};

// Writes each event as one line `kavach-audit: {json}` with syslog(3) (journald picks it up
// from /dev/log). `facility` is a <syslog.h> LOG_* facility; LOG_USER by default.
class SyslogAuditSink final : public AuditHook {
 public:
  explicit SyslogAuditSink(int facility = -1);
  void on_event(const AuditEvent& event) noexcept override;

 private:
  int facility_;
};

// The HMAC-SHA256 key of the audit chain, held in locked, non-dumpable memory wiped on destruction.
// Key files hold at least 64 hex digits (32 bytes), e.g. `openssl rand -hex 32`, and must not be
// readable by group or others.
class AuditKey {
 public:
  ~AuditKey();
  AuditKey(AuditKey&&) noexcept;
  AuditKey& operator=(AuditKey&&) noexcept;
  AuditKey(const AuditKey&) = delete;
  AuditKey& operator=(const AuditKey&) = delete;

  [[nodiscard]] static Result<AuditKey> from_file(const std::filesystem::path& file);
  [[nodiscard]] static Result<AuditKey> from_bytes(std::string_view bytes);  // >= 32 bytes
  // Loads `file`, or creates it (0600, parent directories 0700) with a fresh random key when it
  // does not exist. Safe when several processes race to create it.
  [[nodiscard]] static Result<AuditKey> load_or_create(const std::filesystem::path& file);
  // The key a command uses: `explicit_file` (--audit-key / --key), else $KAVACH_AUDIT_KEY_FILE,
  // else the per-user key (default_audit_key_path()), created on first use only if `create_default`
  // (writers create it, verifiers never do).
  [[nodiscard]] static Result<AuditKey> resolve(const std::optional<std::filesystem::path>& explicit_file,
                                                bool create_default);

  [[nodiscard]] std::string_view bytes() const;

 private:
  AuditKey();
  std::unique_ptr<detail::SecureBuffer> bytes_;
};

// $XDG_STATE_HOME/kavach/audit.key, or ~/.local/state/kavach/audit.key.
[[nodiscard]] Result<std::filesystem::path> default_audit_key_path();

// Where the sealed head of `log` lives: "<log>.head".
[[nodiscard]] std::filesystem::path audit_head_path(const std::filesystem::path& log);

// Rollback anchors (docs/audit.md): a MACed (log id, last seq, its MAC, its offset) per log, kept
// outside the log so that cutting the log back and putting an old head back is detectable.
// $XDG_STATE_HOME/kavach/audit-anchors, or ~/.local/state/kavach/audit-anchors.
[[nodiscard]] Result<std::filesystem::path> default_audit_anchor_dir();
// `explicit_dir` (--audit-anchor-dir / --anchor-dir), else $KAVACH_AUDIT_ANCHOR_DIR, else
// default_audit_anchor_dir().
[[nodiscard]] Result<std::filesystem::path> resolve_audit_anchor_dir(
    const std::optional<std::filesystem::path>& explicit_dir);
// The anchor of the log `log_id` in `dir`: "<dir>/<log id>".
[[nodiscard]] std::filesystem::path audit_anchor_path(const std::filesystem::path& dir, std::string_view log_id);

struct AuditFileOptions {
  // 1: fsync every record and its head (durable, slowest). N > 1: every N records.
  // 0: only on flush() and destruction. Unsynced records can be lost in a crash; the log then
  // fails verification as truncated, which is the honest outcome.
  std::size_t fsync_every = 1;
  // Called (outside the lock) when on_event could not write an event.
  std::function<void(const Error&)> on_error;
  // Keep a rollback anchor in this directory (created 0700): every synced record moves it
  // forward, and appends to a log cut back behind it are refused (audit_rollback). nullopt: no
  // anchor, so a rollback of this log cannot be detected.
  std::optional<std::filesystem::path> anchor_dir;
};

// Append-only JSON-lines log, one record per line:
//   {"seq":N,"log":"<id>","prev":"<MAC of record N-1>","event":{...},"mac":"<HMAC of the rest>"}
// and a sealed head "<log>.head" holding the last seq and MAC, itself MACed. Appends take an
// exclusive flock on the log (plus a mutex for threads of this process), re-read the head and
// the last record under the lock, and refuse to extend a log whose end does not match its head
// (or, with an anchor, a log that ends before its anchored record).
class AuditFileSink final : public AuditHook {
 public:
  // Creates the log (0600) if needed and checks its head and tail (errors: audit_error for I/O
  // and key problems, audit_tampered when the end of the log does not match its head or the
  // anchor is not authentic, audit_rollback when the log was cut back behind its anchor).
  [[nodiscard]] static Result<std::shared_ptr<AuditFileSink>> open(const std::filesystem::path& path,
                                                                   AuditKey key,
                                                                   AuditFileOptions options = {});
  ~AuditFileSink() override;  // flushes
  AuditFileSink(const AuditFileSink&) = delete;
  AuditFileSink& operator=(const AuditFileSink&) = delete;

  void on_event(const AuditEvent& event) noexcept override;
  // Appends one record; returns its sequence number.
  [[nodiscard]] Result<std::uint64_t> append(const AuditEvent& event);
  // fsyncs records and head written since the last sync, then anchors the last of them.
  [[nodiscard]] Result<void> flush();

  [[nodiscard]] const std::filesystem::path& path() const;
  [[nodiscard]] std::size_t failures() const;         // events on_event could not write
  [[nodiscard]] std::optional<Error> last_error() const;

  struct Impl;

 private:
  explicit AuditFileSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What `kavach run --audit-log FILE [--audit-key KEY] [--audit-anchor-dir DIR]` needs: the key
// resolved (the per-user key is created on first use), the anchor directory resolved
// (resolve_audit_anchor_dir(options.anchor_dir): always anchored) and the log opened and checked.
[[nodiscard]] Result<std::shared_ptr<AuditFileSink>> open_audit_log(
    const std::filesystem::path& path, const std::optional<std::filesystem::path>& key_file,
    AuditFileOptions options = {});

struct AuditVerifyOptions {
  // Check the log against its rollback anchor in this directory. nullopt: not checked.
  std::optional<std::filesystem::path> anchor_dir;
  // A log without an anchor there fails (audit_tampered, reason anchor_missing).
  bool require_anchor = false;
};

enum class AuditAnchorState {
  not_checked,  // no anchor_dir given
  missing,      // no anchor for this log: a cut back to an earlier sealed head cannot be detected
  matched,      // the log reaches the anchored record, and holds exactly that record there
};
[[nodiscard]] std::string_view to_string(AuditAnchorState state);

struct AuditVerifyReport {
  std::uint64_t records = 0;
  std::uint64_t last_seq = 0;
  std::string log_id;
  AuditAnchorState anchor = AuditAnchorState::not_checked;
  std::uint64_t anchor_seq = 0;       // when matched
  std::filesystem::path anchor_file;  // where the anchor was looked for (unless not_checked)
};

// Checks every record's MAC, the sequence, the chain and the sealed head, then the rollback
// anchor if options.anchor_dir is set. On failure returns audit_tampered naming the first bad
// record (context: "line", "seq", "reason" = one of head_missing, head_malformed, head_modified,
// wrong_key, malformed, modified, foreign_record, deleted, reordered, duplicated, chain_broken,
// truncated, unsealed, head_mismatch, anchor_malformed, anchor_modified, anchor_mismatch,
// anchor_missing), audit_rollback when the log ends before its anchored record or holds another
// record there (reason rolled_back / forked; context anchor_seq, last_seq, anchor_file), or
// audit_error when the log or the anchor cannot be read. MACs are compared in constant time.
[[nodiscard]] Result<AuditVerifyReport> verify_audit_log(const std::filesystem::path& path, const AuditKey& key,
                                                         const AuditVerifyOptions& options = {});

}  // namespace kavach
