// Where a secret must never land: searches the host's state and temporary directories for
// files that contain a value. Shared by the credential tests of every backend.
#pragma once

#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kavach::test {

// A value no earlier run can have left anywhere.
inline std::string unique_secret_value(const std::string& tag) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  return "kv-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(now);
}

inline bool on_memory_filesystem(const std::filesystem::path& p) {
  struct statfs st {};
  if (::statfs(p.c_str(), &st) != 0) return false;
  const auto type = static_cast<unsigned long>(st.f_type);
  return type == TMPFS_MAGIC || type == RAMFS_MAGIC;
}

struct SecretSearch {
  std::filesystem::file_time_type since;  // files written before this are not looked at
  std::filesystem::path except;           // the one file that legitimately holds it (a file: source)
  bool disk_only = false;                 // skip tmpfs/ramfs (memory, where a backend may keep it)
};

// Regular files (up to 8 MiB) under /run, /tmp, /var/tmp, /dev/shm and $TMPDIR that contain `needle`.
inline std::vector<std::filesystem::path> host_files_containing(const std::string& needle,
                                                                const SecretSearch& how) {
  namespace fs = std::filesystem;
  std::vector<fs::path> roots = {"/run", "/tmp", "/var/tmp", "/dev/shm"};
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && t[0] == '/') roots.emplace_back(t);
  std::vector<fs::path> hits;
  for (const auto& root : roots) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
         it != end; it.increment(ec)) {
      if (ec) break;
      std::error_code fec;
      if (!it->is_regular_file(fec) || it->path() == how.except) continue;
      if (it->file_size(fec) > (8u << 20) || it->last_write_time(fec) < how.since) continue;
      if (how.disk_only && on_memory_filesystem(it->path())) continue;
      std::ifstream in(it->path(), std::ios::binary);
      const std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      if (content.find(needle) != std::string::npos) hits.push_back(it->path());
    }
  }
  return hits;
}

}  // namespace kavach::test
