#include "core/user_cache.hpp"
#include "core/hex.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/evp.h>

namespace kavach::user_cache {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return hex_encode(md, len);
}

namespace {

std::optional<std::filesystem::path> home_dir() {
  if (const char* h = std::getenv("HOME"); h != nullptr && h[0] == '/') return std::filesystem::path(h);
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    return std::filesystem::path(found->pw_dir);
  }
  return std::nullopt;
}

// $XDG_<base>/kavach, else ~/<fallback>/kavach.
std::optional<std::filesystem::path> xdg_dir(const char* variable, const char* fallback) {
  if (const char* xdg = std::getenv(variable); xdg != nullptr && xdg[0] == '/') {
    return std::filesystem::path(xdg) / "kavach";
  }
  auto home = home_dir();
  if (!home) return std::nullopt;
  return *home / fallback / "kavach";
}

}  // namespace

std::optional<std::filesystem::path> cache_root() { return xdg_dir("XDG_CACHE_HOME", ".cache"); }
std::optional<std::filesystem::path> state_root() { return xdg_dir("XDG_STATE_HOME", ".local/state"); }

std::optional<std::filesystem::path> cache_dir(const std::optional<std::filesystem::path>& configured) {
  std::filesystem::path dir;
  if (configured) {
    dir = *configured;
  } else if (const char* off = std::getenv("KAVACH_NO_CACHE"); off != nullptr && off[0] != '\0' &&
                                                             std::string_view(off) != "0") {
    return std::nullopt;
  } else if (auto root = cache_root()) {
    dir = std::move(*root);
  } else {
    return std::nullopt;
  }
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) {
    ::chmod(dir.c_str(), 0700);  // created now: only ours
  }
  // An existing directory is used as it is: loosened permissions mean someone else may have
  // written entries already, so it is not trusted rather than "repaired".
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 022) != 0) {
    return std::nullopt;
  }
  return dir;
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<std::string> read_entry(const std::filesystem::path& p, std::size_t max_bytes) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::string bytes;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
            (st.st_mode & 077) == 0 && st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) <= max_bytes;
  if (ok) {
    bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t r = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      done += static_cast<std::size_t>(r);
    }
    ok = done == bytes.size();
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return bytes;
}

bool write_file_atomic(const std::filesystem::path& p, std::string_view data) {
  const std::filesystem::path tmp = p.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), p.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace kavach::user_cache
