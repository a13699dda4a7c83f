// Quarantine store: see quarantine.hpp.
#include "quarantine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli_common.hpp"
#include "core/user_cache.hpp"
#include "kavach/gate.hpp"

namespace kavach::cli {
namespace {

Result<void> make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(ErrorCode::io_error, "cannot create quarantine directory " + dir.string() + ": " +
                                         std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
    return fail(ErrorCode::io_error, "quarantine path " + dir.string() +
                                         " is not a directory owned by this user");
  }
  if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return fail(ErrorCode::io_error, "cannot make " + dir.string() + " private: " + std::strerror(errno));
  }
  return {};
}

Result<void> write_private_file(const std::filesystem::path& file, const std::string& data) {
  return write_file(file, data, 0600, false);
}

}  // namespace

Result<void> write_file(const std::filesystem::path& file, const std::string& data, mode_t mode, bool replace) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | (replace ? O_TRUNC : O_EXCL) | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    return fail(ErrorCode::io_error, "cannot create " + file.string() + ": " + std::strerror(errno));
  }
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return fail(ErrorCode::io_error, "cannot write " + file.string() + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return fail(ErrorCode::io_error, "cannot flush " + file.string() + ": " + std::strerror(errno));
  }
  return {};
}

Result<std::filesystem::path> quarantine_root(const std::optional<std::filesystem::path>& flag) {
  if (flag) return *flag;
  if (auto state = user_cache::state_root()) return *state / "quarantine";
  return fail(ErrorCode::io_error,
              "no place for quarantined output: neither XDG_STATE_HOME nor HOME is set; pass --quarantine-dir");
}

Result<std::filesystem::path> quarantine_file(const std::filesystem::path& root, const std::string& sandbox_id,
                                              const std::string& name, const std::string& data) {
  if (auto r = make_private_dir(root); !r) return tl::unexpected(r.error());
  const std::filesystem::path dir = root / sandbox_id;
  if (auto r = make_private_dir(dir); !r) return tl::unexpected(r.error());
  if (auto r = write_private_file(dir / name, data); !r) return tl::unexpected(r.error());
  return dir / name;
}

Result<std::filesystem::path> quarantine_outputs(const std::filesystem::path& root,
                                                 const std::string& sandbox_id, const RunReport& rep) {
  if (auto r = make_private_dir(root); !r) return tl::unexpected(r.error());
  const std::filesystem::path dir = root / sandbox_id;
  if (auto r = make_private_dir(dir); !r) return tl::unexpected(r.error());
  if (auto r = write_private_file(dir / "stdout", rep.result.stdout_data); !r) return tl::unexpected(r.error());
  if (auto r = write_private_file(dir / "stderr", rep.result.stderr_data); !r) return tl::unexpected(r.error());
  const nlohmann::json report = rep.gate ? gate::to_json(*rep.gate) : nlohmann::json::object();
  if (auto r = write_private_file(dir / "gate.json", dump_json(report) + "\n"); !r) {
    return tl::unexpected(r.error());
  }
  return dir;
}

}  // namespace kavach::cli
