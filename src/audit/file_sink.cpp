// The hash-chained JSON-lines audit log writer.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "audit/anchor.hpp"
#include "audit/file_io.hpp"
#include "audit/mac.hpp"
#include "audit/record.hpp"
#include "kavach/audit_log.hpp"

namespace kavach {

namespace {

constexpr std::size_t kMaxHeadBytes = 4096;

tl::unexpected<Error> tampered(const std::filesystem::path& path, std::string what, std::string reason) {
  return fail(ErrorCode::audit_tampered, "refusing to append to audit log " + path.string() + ": " + std::move(what),
              {{"path", path.string()}, {"reason", std::move(reason)}});
}

// An anchor check's finding, told as a refusal to append to `path`.
tl::unexpected<Error> refusal(const std::filesystem::path& path, Error e) {
  if (e.code != ErrorCode::audit_error) {
    e.message = "refusing to append to audit log " + path.string() + ": " + e.message;
    e.context.emplace("path", path.string());
  }
  return tl::unexpected(std::move(e));
}

tl::unexpected<Error> io_fail(const std::filesystem::path& path, const std::string& what, int err) {
  return fail(ErrorCode::audit_error, what + " " + path.string() + ": " + std::strerror(err),
              {{"path", path.string()}});
}

// Exclusive flock held for one append; shared between processes through the log file itself.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock() { release(); }
  Result<void> acquire(int fd, const std::filesystem::path& path) {
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) return io_fail(path, "cannot lock", errno);
    }
    fd_ = fd;
    return {};
  }
  void release() {
    if (fd_ >= 0) (void)::flock(fd_, LOCK_UN);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Where the next record goes, as read from the head and the last record under the lock.
struct ChainState {
  std::string log_id;
  std::uint64_t next_seq = 1;
  std::string prev;
};

}  // namespace

struct AuditFileSink::Impl {
  std::filesystem::path path;
  std::filesystem::path head_path;
  AuditKey key;
  AuditFileOptions options;
  int fd = -1;
  std::mutex mu;  // threads of this process; flock only separates open file descriptions
  std::size_t unsynced = 0;
  std::optional<detail::AnchorPoint> pending_anchor;  // our last record not yet anchored (not yet synced)
  std::atomic<std::size_t> failures{0};
  mutable std::mutex error_mu;
  std::optional<Error> last_error;

  Impl(std::filesystem::path p, AuditKey k, AuditFileOptions o)
      : path(std::move(p)), head_path(audit_head_path(path)), key(std::move(k)), options(std::move(o)) {}
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }

  Result<void> open_log() {
    fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return io_fail(path, "cannot open audit log", errno);
    return {};
  }

  // Locks the file currently at `path`; reopens if it was replaced or removed since we opened it
  // (rotation, or an attacker — the head check below then refuses a log that lost its records).
  Result<void> lock_current(FileLock& lock) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      if (fd < 0) {
        if (auto r = open_log(); !r) return r;
      }
      if (auto r = lock.acquire(fd, path); !r) return r;
      struct stat held {}, now {};
      if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
          held.st_ino == now.st_ino) {
        return {};
      }
      lock.release();
      ::close(fd);
      fd = -1;
    }
    return fail(ErrorCode::audit_error, "audit log " + path.string() + " keeps being replaced", {{"path", path.string()}});
  }

  // Reads the sealed head and the last record; refuses a log whose end does not match its head.
  Result<ChainState> chain_state() {
    const std::string_view k = key.bytes();
    auto head_text = detail::read_small_file(head_path, kMaxHeadBytes);
    if (!head_text) return tl::unexpected(head_text.error());
    auto last = detail::read_last_line(fd, path);
    if (!last) return tl::unexpected(last.error());

    std::optional<detail::Record> tail;
    if (*last) {
      tail = detail::parse_record(**last);
      if (!tail) return tampered(path, "its last line is not a valid audit record", "malformed");
    }
    if (!*head_text) {
      if (tail) return tampered(path, "it has records but its head " + head_path.string() + " is missing", "head_missing");
      ChainState fresh;
      fresh.log_id = detail::random_hex(detail::kLogIdHexLen / 2);
      if (fresh.log_id.empty()) return fail(ErrorCode::audit_error, "RAND_bytes failed");
      fresh.prev = detail::genesis_mac(k, fresh.log_id);
      return fresh;
    }
    const auto head = detail::parse_head(**head_text);
    if (!head) return tampered(path, "its head " + head_path.string() + " is malformed", "head_malformed");
    if (!detail::head_authentic(k, *head)) {
      if (tail && !detail::record_authentic(k, *tail)) {
        return tampered(path, "neither its head nor its last record authenticates: wrong key?", "wrong_key");
      }
      return tampered(path, "its head " + head_path.string() + " was modified", "head_modified");
    }
    if (!tail) {
      if (head->seq != 0) {
        return tampered(path, "it is empty but its head seals seq " + std::to_string(head->seq) + " (truncated)",
                        "truncated");
      }
      return anchored(ChainState{head->log_id, 1, head->mac});
    }
    if (!detail::record_authentic(k, *tail)) return tampered(path, "its last record was modified", "modified");
    if (tail->log_id != head->log_id) return tampered(path, "its last record belongs to another log", "foreign_record");
    const bool sealed = tail->seq == head->seq && detail::mac_equal(tail->mac, head->mac);
    // One record past the head: a crash between the append and the head update; resealing it
    // below is safe because the record authenticates and chains onto the sealed head.
    const bool unsealed_one = tail->seq == head->seq + 1 && detail::mac_equal(tail->prev, head->mac);
    if (!sealed && !unsealed_one) {
      if (tail->seq < head->seq) {
        return tampered(path, "it ends at seq " + std::to_string(tail->seq) + " but its head seals seq " +
                                  std::to_string(head->seq) + " (records deleted from the end)",
                        "truncated");
      }
      return tampered(path, "its last record (seq " + std::to_string(tail->seq) +
                                ") does not match its head (seq " + std::to_string(head->seq) + ")",
                      "head_mismatch");
    }
    return anchored(ChainState{tail->log_id, tail->seq + 1, tail->mac});
  }

  // The head cannot show a cut back to an old copy of itself; the anchor can. Refuses to extend
  // a log that ends before its anchored record, or holds another record there.
  Result<ChainState> anchored(ChainState state) {
    if (!options.anchor_dir) return state;
    auto anchor = detail::load_anchor(*options.anchor_dir, key.bytes(), state.log_id);
    if (!anchor) return refusal(path, anchor.error());
    if (!*anchor) return state;
    if (auto r = detail::check_anchor_against_log(fd, path, *options.anchor_dir, key.bytes(), **anchor,
                                                  state.next_seq - 1, state.prev);
        !r) {
      return refusal(path, r.error());
    }
    return state;
  }

  // Moves the anchor to our last synced record; kept pending (retried at flush) if that fails.
  Result<void> advance_anchor(const detail::AnchorPoint& point) {
    pending_anchor = point;
    if (auto r = detail::advance_anchor(*options.anchor_dir, key.bytes(), point, path); !r) {
      Error e = r.error();
      e.message = "audit record " + std::to_string(point.seq) + " was written to " + path.string() +
                  ", but its rollback anchor was not moved forward: " + e.message;
      return tl::unexpected(std::move(e));
    }
    pending_anchor.reset();
    return {};
  }

  Result<std::uint64_t> append(std::string_view event_json) {
    std::lock_guard guard(mu);
    FileLock lock;
    if (auto r = lock_current(lock); !r) return tl::unexpected(r.error());
    auto state = chain_state();
    if (!state) return tl::unexpected(state.error());

    std::string mac;
    const std::string line =
        detail::make_record_line(key.bytes(), state->next_seq, state->log_id, state->prev, event_json, mac);
    struct stat before {};
    if (::fstat(fd, &before) != 0) return io_fail(path, "cannot stat", errno);
    if (auto w = detail::write_all(fd, line, path); !w) {
      // Leave no partial record behind (we still hold the lock).
      (void)::ftruncate(fd, before.st_size);
      return tl::unexpected(w.error());
    }
    ++unsynced;
    const bool sync = options.fsync_every != 0 && unsynced >= options.fsync_every;
    if (sync && ::fdatasync(fd) != 0) return io_fail(path, "cannot fsync", errno);
    const std::string head = detail::make_head(key.bytes(), state->log_id, state->next_seq, mac);
    if (auto r = detail::rewrite_file(head_path, head, sync); !r) return tl::unexpected(r.error());
    if (!options.anchor_dir) {
      if (sync) unsynced = 0;
      return state->next_seq;
    }
    // Anchor only what is on disk: an anchor ahead of the log would make a crash look like a rollback.
    const detail::AnchorPoint point{state->log_id, state->next_seq, mac,
                                    static_cast<std::uint64_t>(before.st_size) + line.size()};
    if (!sync) {
      pending_anchor = point;
      return state->next_seq;
    }
    unsynced = 0;
    if (auto r = advance_anchor(point); !r) return tl::unexpected(r.error());
    return state->next_seq;
  }

  Result<void> flush() {
    std::lock_guard guard(mu);
    if (fd < 0) return {};
    if (unsynced > 0) {
      if (::fdatasync(fd) != 0) return io_fail(path, "cannot fsync", errno);
      if (auto r = detail::fsync_path(head_path, false); !r) return r;
      unsynced = 0;
    }
    if (!pending_anchor) return {};
    // The lock of the file holding our records orders us with every other writer of this log, so
    // the anchor is read and moved forward (never back) as one step.
    FileLock lock;
    if (auto r = lock.acquire(fd, path); !r) return r;
    return advance_anchor(*pending_anchor);
  }
};

std::filesystem::path audit_head_path(const std::filesystem::path& log) { return log.string() + ".head"; }

AuditFileSink::AuditFileSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AuditFileSink::~AuditFileSink() {
  if (impl_) (void)impl_->flush();
}

Result<std::shared_ptr<AuditFileSink>> AuditFileSink::open(const std::filesystem::path& path, AuditKey key,
                                                           AuditFileOptions options) {
  if (key.bytes().empty()) return fail(ErrorCode::audit_error, "audit log " + path.string() + ": empty key");
  if (options.anchor_dir) {
    if (auto r = detail::prepare_anchor_dir(*options.anchor_dir); !r) return tl::unexpected(r.error());
  }
  auto impl = std::make_unique<Impl>(path, std::move(key), std::move(options));
  {
    // Check the existing log (or create it) now, so a bad key or a truncated log fails before
    // anything runs rather than at the first event.
    std::lock_guard guard(impl->mu);
    FileLock lock;
    if (auto r = impl->lock_current(lock); !r) return tl::unexpected(r.error());
    if (auto st = impl->chain_state(); !st) return tl::unexpected(st.error());
  }
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  (void)detail::fsync_path(dir, true);  // the new file's directory entry survives a crash
  return std::shared_ptr<AuditFileSink>(new AuditFileSink(std::move(impl)));
}

Result<std::shared_ptr<AuditFileSink>> open_audit_log(const std::filesystem::path& path,
                                                      const std::optional<std::filesystem::path>& key_file,
                                                      AuditFileOptions options) {
  auto key = AuditKey::resolve(key_file, /*create_default=*/true);
  if (!key) return tl::unexpected(key.error());
  auto anchor_dir = resolve_audit_anchor_dir(options.anchor_dir);
  if (!anchor_dir) return tl::unexpected(anchor_dir.error());
  options.anchor_dir = std::move(*anchor_dir);
  return AuditFileSink::open(path, std::move(*key), std::move(options));
}

void AuditFileSink::on_event(const AuditEvent& event) noexcept {
  Result<std::uint64_t> r = tl::unexpected(make_error(ErrorCode::internal, ""));
  try {
    r = append(event);
  } catch (const std::exception& e) {
    r = tl::unexpected(make_error(ErrorCode::audit_error, std::string("audit append failed: ") + e.what()));
  } catch (...) {
    r = tl::unexpected(make_error(ErrorCode::audit_error, "audit append failed"));
  }
  if (r) return;
  impl_->failures.fetch_add(1);
  try {
    {
      std::lock_guard g(impl_->error_mu);
      impl_->last_error = r.error();
    }
    if (impl_->options.on_error) impl_->options.on_error(r.error());
  } catch (...) {
    // Recorded in failures(); nothing more can be done from a noexcept hook.
  }
}

Result<std::uint64_t> AuditFileSink::append(const AuditEvent& event) {
  std::string json;
  try {
    // `replace` keeps invalid UTF-8 (e.g. bytes from a command's output) from throwing.
    json = to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return fail(ErrorCode::audit_error, std::string("cannot serialize audit event: ") + e.what());
  }
  return impl_->append(json);
}

Result<void> AuditFileSink::flush() { return impl_->flush(); }

const std::filesystem::path& AuditFileSink::path() const { return impl_->path; }

std::size_t AuditFileSink::failures() const { return impl_->failures.load(); }

std::optional<Error> AuditFileSink::last_error() const {
  std::lock_guard g(impl_->error_mu);
  return impl_->last_error;
}

}  // namespace kavach
