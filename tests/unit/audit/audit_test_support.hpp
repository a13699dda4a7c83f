// Helpers for audit log tests: keys, small logs, and line-level edits of a log file.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "kavach/audit_log.hpp"
#include "support/temp_dir.hpp"

namespace kavach::test {

inline constexpr const char* kKeyHex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
inline constexpr const char* kOtherKeyHex = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

inline std::filesystem::path write_key(const TempDir& dir, const std::string& name, const std::string& hex) {
  const auto p = dir / name;
  write_file(p, hex + "\n");
  ::chmod(p.c_str(), 0600);
  return p;
}

inline AuditKey key_from_hex(const TempDir& dir, const std::string& hex = kKeyHex) {
  auto k = AuditKey::from_file(write_key(dir, "k-" + hex.substr(0, 8), hex));
  EXPECT_TRUE(k) << k.error().message;
  return std::move(*k);
}

inline AuditEvent event(AuditEventType type, int n) {
  AuditEvent e;
  e.type = type;
  e.sandbox_id = "sb-" + std::to_string(n);
  e.data = {{"n", n}, {"note", "event " + std::to_string(n)}};
  return e;
}

inline AuditFileOptions file_options(std::size_t fsync_every,
                                     std::optional<std::filesystem::path> anchor_dir = std::nullopt) {
  AuditFileOptions o;
  o.fsync_every = fsync_every;
  o.anchor_dir = std::move(anchor_dir);
  return o;
}

// Writes `count` events to `log` through a fresh sink (anchored in `anchor_dir` if given);
// returns false on any error.
inline bool write_log(const std::filesystem::path& log, AuditKey key, int count, std::size_t fsync_every = 0,
                      std::optional<std::filesystem::path> anchor_dir = std::nullopt) {
  auto sink = AuditFileSink::open(log, std::move(key), file_options(fsync_every, std::move(anchor_dir)));
  if (!sink) {
    ADD_FAILURE() << sink.error().message;
    return false;
  }
  for (int i = 1; i <= count; ++i) {
    auto r = (*sink)->append(event(AuditEventType::exec_finished, i));
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return false;
    }
  }
  return true;
}

inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::vector<std::string> out;
  std::string all = read_file(p);
  std::size_t start = 0;
  while (start < all.size()) {
    const auto nl = all.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(all.substr(start));
      break;
    }
    out.push_back(all.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

inline void write_lines(const std::filesystem::path& p, const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  write_file(p, all);
}

// What a rollback needs: the head and the log's length at one moment.
struct LogSnapshot {
  std::string head;
  std::uintmax_t size = 0;
};

inline LogSnapshot snapshot(const std::filesystem::path& log) {
  return {read_file(audit_head_path(log)), std::filesystem::file_size(log)};
}

// Cuts the log back to the snapshot and puts its head back: an authentic, shorter log.
inline void roll_back(const std::filesystem::path& log, const LogSnapshot& s) {
  std::filesystem::resize_file(log, s.size);
  write_file(audit_head_path(log), s.head);
}

// Restores an environment variable when a test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace kavach::test
