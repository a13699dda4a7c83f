// Helpers shared by the gate tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kavach/gate.hpp"

namespace kavach::gate::testing {

inline std::filesystem::path data_dir() {
  return std::filesystem::path(KAVACH_SOURCE_DIR) / "tests" / "data" / "gate";
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::shared_ptr<const Gate> builtin_gate() {
  auto g = Gate::builtin();
  if (!g) ADD_FAILURE() << g.error().describe();
  return g ? *g : nullptr;
}

struct Scanned {
  std::string out;
  Report report;
};

// Scans `data` as one stream, fed in chunks of `chunk` bytes (0 = one write).
inline Scanned scan(const std::shared_ptr<const Gate>& gate, std::string_view data,
                    std::size_t chunk = 0, Options opts = {},
                    const std::vector<std::pair<std::string, std::string>>& secrets = {},
                    const std::string& source = "stdout") {
  Session session(gate, std::move(opts));
  for (const auto& [n, v] : secrets) {
    auto ok = session.register_secret(n, v);
    EXPECT_TRUE(ok) << ok.error().describe();
  }
  Scanned s;
  auto sc = session.open(source);
  EXPECT_TRUE(sc) << sc.error().describe();
  if (!sc) return s;
  if (chunk == 0) chunk = data.size() + 1;
  for (std::size_t i = 0; i < data.size(); i += chunk) {
    auto ok = (*sc)->write(data.substr(i, chunk), s.out);
    EXPECT_TRUE(ok) << ok.error().describe();
  }
  auto ok = (*sc)->finish(s.out);
  EXPECT_TRUE(ok) << ok.error().describe();
  s.report = (*sc)->report();
  return s;
}

inline bool has_rule(const Report& r, std::string_view id) {
  for (const auto& f : r.findings) {
    if (f.rule_id == id) return true;
  }
  return false;
}

inline std::string rules_of(const Report& r) {
  std::string s;
  for (const auto& f : r.findings) s += f.rule_id + "@" + std::to_string(f.begin) + " ";
  return s;
}

// Every byte of [pos, pos+len) lies inside some finding.
inline bool covered(const Report& r, std::uint64_t pos, std::uint64_t len) {
  for (std::uint64_t b = pos; b < pos + len; ++b) {
    bool in = false;
    for (const auto& f : r.findings) in = in || (f.begin <= b && b < f.end);
    if (!in) return false;
  }
  return true;
}

}  // namespace kavach::gate::testing
