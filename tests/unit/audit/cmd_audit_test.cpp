// `kavach audit verify` exit statuses, through the real CLI11 parser.
#include "cmd_audit.hpp"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "audit/audit_test_support.hpp"
#include "exit_codes.hpp"

namespace kavach {
namespace {

using test::TempDir;

int run_cli(std::vector<std::string> args) {
  CLI::App app{"kavach"};
  int exit_code = -1;
  cli::register_audit(app, exit_code);
  args.insert(args.begin(), "kavach");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return exit_code;
}

TEST(CmdAuditVerify, ExitZeroOnlyForAnIntactLog) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto key = test::write_key(dir, "key", test::kKeyHex);
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 3));
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", key.string()}), 0);
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", key.string(), "--json"}), 0);

  auto lines = test::read_lines(log);
  std::swap(lines[0], lines[1]);
  test::write_lines(log, lines);
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", key.string()}),
            cli_exit_code(ErrorCode::audit_tampered));

  const auto wrong = test::write_key(dir, "wrong", test::kOtherKeyHex);
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", wrong.string(), "--json"}),
            cli_exit_code(ErrorCode::audit_tampered));
}

TEST(CmdAuditVerify, UnreadableLogOrKeyIsAnAuditError) {
  TempDir dir;
  const auto key = test::write_key(dir, "key", test::kKeyHex);
  EXPECT_EQ(run_cli({"audit", "verify", (dir / "missing.jsonl").string(), "--key", key.string()}),
            cli_exit_code(ErrorCode::audit_error));
  const auto log = dir / "audit.jsonl";
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 1));
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", (dir / "nokey").string()}),
            cli_exit_code(ErrorCode::audit_error));
}

// Issue 12.6, end to end through the writer `kavach run --audit-log` uses and the real parser:
// copy the head, let the log grow, cut it back and put the old head back.
TEST(CmdAuditVerify, LogCutBackToACopiedHeadIsARollback) {
  TempDir dir;
  test::ScopedEnv anchors("KAVACH_AUDIT_ANCHOR_DIR", (dir / "state" / "audit-anchors").string());
  const auto log = dir / "audit.jsonl";
  const auto key = test::write_key(dir, "key", test::kKeyHex);
  const auto run = [&](int events) {
    auto sink = open_audit_log(log, key);
    ASSERT_TRUE(sink) << sink.error().message;
    for (int i = 0; i < events; ++i) ASSERT_TRUE((*sink)->append(test::event(AuditEventType::created, i)));
  };
  run(2);
  const auto old = test::snapshot(log);
  run(3);
  ASSERT_EQ(run_cli({"audit", "verify", log.string(), "--key", key.string()}), 0);

  test::roll_back(log, old);
  const int status = run_cli({"audit", "verify", log.string(), "--key", key.string()});
  EXPECT_NE(status, 0) << "the rollback went unnoticed";
  EXPECT_EQ(status, cli_exit_code(ErrorCode::audit_rollback));
  EXPECT_EQ(run_cli({"audit", "verify", log.string(), "--key", key.string(), "--json"}),
            cli_exit_code(ErrorCode::audit_rollback));
  auto next_run = open_audit_log(log, key);
  EXPECT_FALSE(next_run) << "appends carried on after the rollback";
}

TEST(CmdAuditVerify, SaysWhenThereIsNoAnchorAndCanRequireOne) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto key = test::write_key(dir, "key", test::kKeyHex);
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2));  // no anchor
  const auto empty = dir / "anchors";
  const std::vector<std::string> base{"audit", "verify", log.string(), "--key", key.string(),
                                      "--anchor-dir", empty.string()};

  testing::internal::CaptureStdout();
  const int status = run_cli(base);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("intact"), std::string::npos) << out;
  EXPECT_NE(out.find("no rollback anchor"), std::string::npos) << out;
  EXPECT_NE(out.find("truncation to an earlier sealed head cannot be detected"), std::string::npos) << out;

  auto with_json = base;
  with_json.push_back("--json");
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_cli(with_json), 0);
  const auto j = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(j.at("anchor").at("state"), "missing");

  auto required = base;
  required.push_back("--require-anchor");
  EXPECT_EQ(run_cli(required), cli_exit_code(ErrorCode::audit_tampered));
}

TEST(CmdAuditVerify, JsonCarriesTheAnchorAndTheRollback) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto anchors = dir / "anchors";
  const auto key = test::write_key(dir, "key", test::kKeyHex);
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2, 1, anchors));
  const auto old = test::snapshot(log);
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2, 1, anchors));
  const std::vector<std::string> args{"audit", "verify", log.string(), "--key", key.string(),
                                      "--anchor-dir", anchors.string(), "--json"};

  testing::internal::CaptureStdout();
  EXPECT_EQ(run_cli(args), 0);
  const auto ok = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(ok.at("anchor").at("state"), "matched");
  EXPECT_EQ(ok.at("anchor").at("seq"), 4);

  test::roll_back(log, old);
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_cli(args), cli_exit_code(ErrorCode::audit_rollback));
  const auto bad = nlohmann::json::parse(testing::internal::GetCapturedStdout());
  EXPECT_EQ(bad.at("intact"), false);
  EXPECT_EQ(bad.at("error").at("code"), "audit_rollback");
  EXPECT_EQ(bad.at("error").at("context").at("reason"), "rolled_back");
  EXPECT_EQ(bad.at("error").at("context").at("anchor_seq"), "4");
  EXPECT_EQ(bad.at("error").at("context").at("last_seq"), "2");
}

TEST(CmdAuditVerify, FileIsRequired) {
  EXPECT_THROW(run_cli({"audit", "verify"}), CLI::ParseError);
}

}  // namespace
}  // namespace kavach
