// Loading, creating and resolving the audit chain's HMAC key.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "audit/file_io.hpp"
#include "core/hex.hpp"
#include "audit/mac.hpp"
#include "audit/state_dir.hpp"
#include "core/secure_buffer.hpp"
#include "kavach/audit_log.hpp"

namespace kavach {

using detail::SecureBuffer;

namespace {

constexpr std::size_t kMinKeyBytes = 32;
constexpr std::size_t kMaxKeyFileBytes = 4096;

Error key_error(const std::filesystem::path& file, std::string what) {
  return make_error(ErrorCode::audit_error, "audit key " + file.string() + ": " + std::move(what),
                    {{"key_file", file.string()}});
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads and decodes a key file. `open_errno` receives errno when the file cannot be opened.
Result<SecureBuffer> read_key_file(const std::filesystem::path& file, int& open_errno) {
  open_errno = 0;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    open_errno = errno;
    return tl::unexpected(key_error(file, std::string("cannot open: ") + std::strerror(open_errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return tl::unexpected(key_error(file, "is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return tl::unexpected(key_error(file, std::string("is accessible by group or others (mode ") + mode +
                                              "); run chmod 600 on it"));
  }
  auto text = SecureBuffer::with_capacity(kMaxKeyFileBytes);
  if (!text) {
    ::close(fd);
    return tl::unexpected(key_error(file, text.error().message));
  }
  for (;;) {
    auto dst = text->reserve(1024);
    if (!dst) break;
    const ssize_t n = ::read(fd, *dst, 1024);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return tl::unexpected(key_error(file, std::string("cannot read: ") + std::strerror(e)));
    }
    if (n == 0) break;
    text->commit(static_cast<std::size_t>(n));
    if (text->size() > kMaxKeyFileBytes) {
      ::close(fd);
      return tl::unexpected(key_error(file, "is larger than " + std::to_string(kMaxKeyFileBytes) + " bytes"));
    }
  }
  ::close(fd);

  std::string_view hex = text->view();
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  const std::string expected = "expected at least " + std::to_string(2 * kMinKeyBytes) +
                               " hex digits (make one with: openssl rand -hex 32 > FILE)";
  if (hex.size() % 2 != 0 || hex.size() < 2 * kMinKeyBytes) return tl::unexpected(key_error(file, expected));
  auto key = SecureBuffer::with_capacity(hex.size() / 2);
  if (!key) return tl::unexpected(key_error(file, key.error().message));
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return tl::unexpected(key_error(file, "is not hex; " + expected));
    const char byte = static_cast<char>((hi << 4) | lo);
    if (auto r = key->append(&byte, 1); !r) return tl::unexpected(key_error(file, r.error().message));
  }
  return key;
}

// Writes a fresh random key to `file` without ever replacing an existing one: the key goes to a
// private temporary file first and is link(2)ed into place, so a racing process either wins or
// finds our complete file.
Result<void> create_key_file(const std::filesystem::path& file) {
  if (auto r = detail::make_private_dirs(file.parent_path()); !r) return r;
  // The key is made in protected memory: random bytes on the stack (cleansed), their hex form
  // written straight into a SecureBuffer; no std::string ever holds it.
  auto content = SecureBuffer::with_capacity(2 * kMinKeyBytes + 1);
  if (!content) return tl::unexpected(key_error(file, content.error().message));
  auto room = content->reserve(2 * kMinKeyBytes + 1);
  if (!room) return tl::unexpected(key_error(file, room.error().message));
  unsigned char raw[kMinKeyBytes];
  const bool random_ok = RAND_bytes(raw, static_cast<int>(sizeof raw)) == 1;
  for (std::size_t i = 0; i < sizeof raw; ++i) {  // into the secure buffer, no string copies
    (*room)[2 * i] = kHexDigits[raw[i] >> 4];
    (*room)[2 * i + 1] = kHexDigits[raw[i] & 0xf];
  }
  OPENSSL_cleanse(raw, sizeof raw);
  (*room)[2 * kMinKeyBytes] = '\n';
  content->commit(2 * kMinKeyBytes + 1);
  if (!random_ok) return tl::unexpected(key_error(file, "RAND_bytes failed"));

  const std::filesystem::path tmp =
      file.string() + ".tmp." + std::to_string(::getpid()) + "." + detail::random_hex(4);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    const int e = errno;
    return tl::unexpected(key_error(file, "cannot create " + tmp.string() + ": " + std::strerror(e)));
  }
  const std::string_view v = content->view();
  int err = 0;
  if (::write(fd, v.data(), v.size()) != static_cast<ssize_t>(v.size())) {
    err = errno != 0 ? errno : EIO;
  } else if (::fsync(fd) != 0) {
    err = errno;
  }
  ::close(fd);
  if (err == 0 && ::link(tmp.c_str(), file.c_str()) != 0 && errno != EEXIST) err = errno;
  ::unlink(tmp.c_str());
  if (err != 0) return tl::unexpected(key_error(file, std::string("cannot write: ") + std::strerror(err)));
  return {};
}

}  // namespace

AuditKey::AuditKey() = default;
AuditKey::~AuditKey() = default;
AuditKey::AuditKey(AuditKey&&) noexcept = default;
AuditKey& AuditKey::operator=(AuditKey&&) noexcept = default;

std::string_view AuditKey::bytes() const { return bytes_ ? bytes_->view() : std::string_view{}; }

Result<AuditKey> AuditKey::from_bytes(std::string_view bytes) {
  if (bytes.size() < kMinKeyBytes) {
    return fail(ErrorCode::audit_error, "audit key must be at least " + std::to_string(kMinKeyBytes) + " bytes");
  }
  auto buf = SecureBuffer::copy_of(bytes);
  if (!buf) return fail(ErrorCode::audit_error, buf.error().message);
  AuditKey k;
  k.bytes_ = std::make_unique<SecureBuffer>(std::move(*buf));
  return k;
}

Result<AuditKey> AuditKey::from_file(const std::filesystem::path& file) {
  int open_errno = 0;
  auto buf = read_key_file(file, open_errno);
  if (!buf) return tl::unexpected(buf.error());
  AuditKey k;
  k.bytes_ = std::make_unique<SecureBuffer>(std::move(*buf));
  return k;
}

Result<AuditKey> AuditKey::load_or_create(const std::filesystem::path& file) {
  int open_errno = 0;
  auto buf = read_key_file(file, open_errno);
  if (!buf && open_errno == ENOENT) {
    if (auto r = create_key_file(file); !r) return tl::unexpected(r.error());
    buf = read_key_file(file, open_errno);
  }
  if (!buf) return tl::unexpected(buf.error());
  AuditKey k;
  k.bytes_ = std::make_unique<SecureBuffer>(std::move(*buf));
  return k;
}

Result<std::filesystem::path> default_audit_key_path() {
  const auto dir = detail::audit_state_dir();
  if (!dir) {
    return fail(ErrorCode::audit_error,
                "no place for the per-user audit key: neither XDG_STATE_HOME nor HOME is set; pass a key file");
  }
  return *dir / "audit.key";
}

Result<AuditKey> AuditKey::resolve(const std::optional<std::filesystem::path>& explicit_file,
                                   bool create_default) {
  if (explicit_file) return from_file(*explicit_file);
  if (const char* env = std::getenv("KAVACH_AUDIT_KEY_FILE"); env != nullptr && env[0] != '\0') {
    return from_file(env);
  }
  auto path = default_audit_key_path();
  if (!path) return tl::unexpected(path.error());
  return create_default ? load_or_create(*path) : from_file(*path);
}

}  // namespace kavach
