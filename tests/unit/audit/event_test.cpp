#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "kavach/audit.hpp"

namespace kavach {
namespace {

TEST(AuditEvent, EveryTypeHasADistinctName) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(AuditEventType::file_imported); ++i) {
    const auto n = to_string(static_cast<AuditEventType>(i));
    EXPECT_NE(n, "unknown");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), 13u);
  EXPECT_EQ(to_string(AuditEventType::gate_verdict), "gate_verdict");
}

TEST(AuditEvent, JsonCarriesTypeSandboxTimeAndData) {
  AuditEvent e;
  e.type = AuditEventType::exec_finished;
  e.sandbox_id = "sb-1";
  e.time = std::chrono::system_clock::time_point(std::chrono::microseconds(1714564800123456));
  e.data = {{"exit_code", 3}};
  const auto j = to_json(e);
  EXPECT_EQ(j.at("type"), "exec_finished");
  EXPECT_EQ(j.at("sandbox_id"), "sb-1");
  EXPECT_EQ(j.at("time"), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(j.at("data").at("exit_code"), 3);
}

TEST(AuditEvent, TimeBeforeEpochFormatsCorrectly) {
  AuditEvent e;
  e.time = std::chrono::system_clock::time_point(std::chrono::microseconds(-1));
  EXPECT_EQ(to_json(e).at("time"), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace kavach
