#include "audit/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kavach::detail {
namespace {

tl::unexpected<Error> io_fail(const std::filesystem::path& path, const std::string& what, int err) {
  return fail(ErrorCode::audit_error, what + " " + path.string() + ": " + std::strerror(err),
              {{"path", path.string()}});
}

}  // namespace

Result<void> write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_fail(path, "cannot write", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::optional<std::string>> read_last_line(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return io_fail(path, "cannot stat", errno);
  return read_line_ending_at(fd, static_cast<std::uint64_t>(st.st_size), path);
}

Result<std::optional<std::string>> read_line_ending_at(int fd, std::uint64_t end_offset,
                                                       const std::filesystem::path& path) {
  const auto end = static_cast<std::size_t>(end_offset);
  if (end == 0) return std::optional<std::string>{};
  constexpr std::size_t kChunk = 8192;
  std::string tail;  // the bytes [end - tail.size(), end), read backwards chunk by chunk
  while (tail.size() < end) {
    const std::size_t n = std::min(kChunk, end - tail.size());
    const std::size_t offset = end - tail.size() - n;
    std::string chunk(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd, chunk.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return io_fail(path, "cannot read", errno);
      if (r == 0) return io_fail(path, "file shrank while reading", EIO);
      got += static_cast<std::size_t>(r);
    }
    tail.insert(0, chunk);
    if (tail.back() != '\n') {
      return fail(ErrorCode::audit_tampered, "audit log " + path.string() + " ends with a partial record",
                  {{"path", path.string()}, {"reason", "malformed"}});
    }
    if (tail.size() >= 2) {
      const auto nl = tail.rfind('\n', tail.size() - 2);
      if (nl != std::string::npos) return std::optional<std::string>(tail.substr(nl + 1, tail.size() - nl - 2));
    }
  }
  return std::optional<std::string>(tail.substr(0, tail.size() - 1));  // a one-line file
}

Result<std::optional<std::string>> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return io_fail(path, "cannot open", errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return io_fail(path, "cannot read", e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return fail(ErrorCode::audit_tampered, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes",
                  {{"path", path.string()}, {"reason", "head_malformed"}});
    }
  }
  ::close(fd);
  return std::optional<std::string>(std::move(out));
}

Result<void> replace_file(const std::filesystem::path& path, std::string_view data, bool sync) {
  // Callers hold the log's lock, so one fixed temporary name is enough.
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_fail(tmp, "cannot create", errno);
  auto w = write_all(fd, data, tmp);
  if (w && sync && ::fsync(fd) != 0) w = io_fail(tmp, "cannot fsync", errno);
  ::close(fd);
  if (!w) return w;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_fail(path, "cannot rename onto", errno);
  return {};
}

Result<void> rewrite_file(const std::filesystem::path& path, std::string_view data, bool sync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) != data.size()) {
    if (fd >= 0) ::close(fd);
    return replace_file(path, data, sync);
  }
  // A single write within the first sector: it lands whole, or (on a torn write at power loss)
  // the head stops authenticating and the log is flagged rather than silently wrong.
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ::close(fd);
      return io_fail(path, "cannot write", e);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool ok = !sync || ::fdatasync(fd) == 0;
  const int e = errno;
  ::close(fd);
  if (!ok) return io_fail(path, "cannot fsync", e);
  return {};
}

Result<void> fsync_path(const std::filesystem::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return io_fail(path, "cannot open", errno);
  const bool ok = ::fsync(fd) == 0;
  const int e = errno;
  ::close(fd);
  if (!ok) return io_fail(path, "cannot fsync", e);
  return {};
}

Result<void> make_private_dirs(const std::filesystem::path& dir) {
  std::filesystem::path cur;
  for (const auto& part : dir) {
    cur /= part;
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
      const int e = errno;
      return fail(ErrorCode::audit_error, "cannot create directory " + cur.string() + ": " + std::strerror(e),
                  {{"path", cur.string()}});
    }
  }
  return {};
}

}  // namespace kavach::detail

namespace kavach::detail {

bool LineReader::fill() {
  if (pos_ >= end_) return false;
  buf_.erase(0, used_);
  used_ = 0;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(65536, end_ - pos_));
  const std::size_t old = buf_.size();
  buf_.resize(old + want);
  ssize_t n = 0;
  do {
    n = ::pread(fd_, buf_.data() + old, want, static_cast<off_t>(pos_));
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    failed_ = true;
    buf_.resize(old);
    return false;
  }
  buf_.resize(old + static_cast<std::size_t>(n));
  pos_ += static_cast<std::uint64_t>(n);
  if (n == 0) end_ = pos_;  // the file shrank below the snapshot
  return n > 0;
}

bool LineReader::next(std::string& line, bool& complete) {
  for (;;) {
    const auto nl = buf_.find('\n', used_);
    if (nl != std::string::npos) {
      line.assign(buf_, used_, nl - used_);
      used_ = nl + 1;
      complete = true;
      return true;
    }
    if (!fill()) {
      if (failed_ || used_ >= buf_.size()) return false;
      line.assign(buf_, used_, std::string::npos);
      used_ = buf_.size();
      complete = false;
      return true;
    }
  }
}

}  // namespace kavach::detail
