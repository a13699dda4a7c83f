#include "backends/oci/state_dirs.hpp"
#include "core/hex.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kavach::oci {

Result<void> make_dirs(const std::filesystem::path& dir, unsigned mode) {
  std::filesystem::path cur;
  for (const auto& part : dir) {
    cur /= part;
    if (cur == cur.root_path()) continue;
    if (::mkdir(cur.c_str(), static_cast<mode_t>(mode)) == 0) {
      (void)::chmod(cur.c_str(), static_cast<mode_t>(mode));  // umask-independent
      continue;
    }
    if (errno != EEXIST) {
      return fail(ErrorCode::io_error, "cannot create " + cur.string() + ": " + std::strerror(errno),
                  {{"path", cur.string()}});
    }
  }
  return {};
}

namespace {

Result<std::filesystem::path> state_root() {
  if (::geteuid() == 0) return std::filesystem::path("/run/kavach");
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "kavach";
  }
  return fail(ErrorCode::io_error,
              "container state needs /run/kavach (root) or $XDG_RUNTIME_DIR (unprivileged); "
              "XDG_RUNTIME_DIR is not set");
}

Error memory_error(const std::filesystem::path& base, const std::string& why) {
  return make_error(ErrorCode::secret_error,
                    "the command carries injected values (secrets) and its OCI bundle must not reach a disk, but " +
                        base.string() + " is not on tmpfs/ramfs and " + why,
                    {{"path", base.string()}, {"reason", "not_memory_backed"}});
}

// Makes `base` a tmpfs unless it is one already. Serialized by a lock file beside it, so two
// processes never stack two mounts (the second would hide the first one's bundles).
Result<void> ensure_memory_backed(const std::filesystem::path& base) {
  if (auto r = make_dirs(base, 0711); !r) return r;
  if (on_memory_filesystem(base)) return {};
  if (::geteuid() != 0) return tl::unexpected(memory_error(base, "only root mounts one there"));
  const std::filesystem::path lock_path = base.string() + ".lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock < 0) return tl::unexpected(memory_error(base, "its lock cannot be opened: " + std::string(std::strerror(errno))));
  while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  Result<void> out;
  if (!on_memory_filesystem(base)) {
    // nosuid/nodev: nothing here needs them (runtimes give containers their own /dev).
    if (::mount("tmpfs", base.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0711") != 0) {
      out = tl::unexpected(memory_error(base, "mounting a tmpfs failed: " + std::string(std::strerror(errno))));
    } else {
      (void)::mount(nullptr, base.c_str(), nullptr, MS_PRIVATE, nullptr);  // no propagation to peers
    }
  }
  ::close(lock);
  return out;
}

}  // namespace

bool on_memory_filesystem(const std::filesystem::path& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return false;
  return static_cast<unsigned long>(st.f_type) == TMPFS_MAGIC || static_cast<unsigned long>(st.f_type) == RAMFS_MAGIC;
}

Result<StateDirs> state_dirs(bool memory_backed) {
  auto root = state_root();
  if (!root) return tl::unexpected(root.error());
  StateDirs dirs{*root / (memory_backed ? "oci-mem" : "oci")};
  if (memory_backed) {
    if (auto r = ensure_memory_backed(dirs.base); !r) return tl::unexpected(r.error());
  }
  if (auto r = make_dirs(dirs.bundles(), 0711); !r) return tl::unexpected(r.error());
  if (auto r = make_dirs(dirs.base / "state", 0700); !r) return tl::unexpected(r.error());
  return dirs;
}

std::vector<StateDirs> existing_state_dirs() {
  std::vector<StateDirs> out;
  auto root = state_root();
  if (!root) return out;
  for (const char* name : {"oci", "oci-mem"}) {
    std::error_code ec;
    if (std::filesystem::is_directory(*root / name / "bundles", ec)) out.push_back(StateDirs{*root / name});
  }
  return out;
}

std::string new_container_id() {
  unsigned char bytes[8] = {};
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (errno != EINTR) break;
  }
  return kContainerPrefix + hex_encode(bytes, sizeof bytes);
}

}  // namespace kavach::oci
