// Helpers for audit log tests: keys, small logs, and line-level edits of a log file.
#pragma once

#include <sys/stat.h>

#include <gtest/gtest.h>

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

// Writes `count` events to `log` through a fresh sink; returns false on any error.
inline bool write_log(const std::filesystem::path& log, AuditKey key, int count, std::size_t fsync_every = 0) {
  auto sink = AuditFileSink::open(log, std::move(key), AuditFileOptions{fsync_every, {}});
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

}  // namespace kavach::test
