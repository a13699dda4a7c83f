// `kavach audit verify` exit statuses, through the real CLI11 parser.
#include "cmd_audit.hpp"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "audit/audit_test_support.hpp"

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

TEST(CmdAuditVerify, FileIsRequired) {
  EXPECT_THROW(run_cli({"audit", "verify"}), CLI::ParseError);
}

}  // namespace
}  // namespace kavach
