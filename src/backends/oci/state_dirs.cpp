#include "backends/oci/state_dirs.hpp"

#include <sys/random.h>
#include <sys/stat.h>
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

Result<StateDirs> state_dirs() {
  std::filesystem::path root;
  if (::geteuid() == 0) {
    root = "/run/kavach";
  } else if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg == '/') {
    root = std::filesystem::path(xdg) / "kavach";
  } else {
    return fail(ErrorCode::io_error,
                "container state needs /run/kavach (root) or $XDG_RUNTIME_DIR (unprivileged); "
                "XDG_RUNTIME_DIR is not set");
  }
  StateDirs dirs{root / "oci"};
  if (auto r = make_dirs(dirs.bundles(), 0711); !r) return tl::unexpected(r.error());
  if (auto r = make_dirs(dirs.base / "state", 0700); !r) return tl::unexpected(r.error());
  return dirs;
}

std::string new_container_id() {
  unsigned char bytes[8] = {};
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
    else if (errno != EINTR) break;
  }
  static const char* hex = "0123456789abcdef";
  std::string id = kContainerPrefix;
  for (unsigned char b : bytes) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

std::uint64_t process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

Owner current_owner() { return {::getpid(), process_start_time(::getpid())}; }

bool owner_alive(const Owner& o) {
  if (o.pid <= 0) return false;
  const std::uint64_t now = process_start_time(o.pid);
  return now != 0 && now == o.start_time;
}

}  // namespace kavach::oci
