// Numeric flags through the real CLI parsing path: digits only, range-checked before any unit
// conversion, errors naming the flag, the value and the accepted range. Includes the reproducers
// of issue 12 item 7 (values that wrapped, overflowed or passed as NaN); only the CLI's entry
// points are used, so the same file runs against the code before the fix, and fails there.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "cmd_scan.hpp"
#include "commands.hpp"
#include "cli_harness.hpp"
#include "policy_options.hpp"
#include "support/temp_dir.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

// The {"error": ...} object `--json` prints on stderr.
nlohmann::json json_error(const CliRun& r) {
  auto j = nlohmann::json::parse(r.err, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stderr is not JSON:\n" << r.err;
  return j.is_discarded() ? nlohmann::json::object() : j.value("error", nlohmann::json::object());
}

std::string context(const nlohmann::json& error, const char* key) {
  return error.value("context", nlohmann::json::object()).value(key, "");
}

Result<SandboxPolicy> parse(std::vector<std::string> args) { return parse_policy_flags(std::move(args)).policy; }

TEST(CliNumericFlags, IssueReproducerNegativeMemory) {
  const CliRun r = run_cli({"run", "--backend", "noop", "--json", "--memory-mb", "-5", "--", "true"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::invalid_argument));
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto e = json_error(r);
  EXPECT_EQ(e.value("code", ""), "invalid_argument");
  EXPECT_EQ(e.value("message", ""), "--memory-mb: -5 is not a number in [4, 1073741824] MiB");
  EXPECT_EQ(context(e, "flag"), "--memory-mb");
  EXPECT_EQ(context(e, "key"), "limits.memory");
}

TEST(CliNumericFlags, IssueReproducerMemoryThatWrappedToFourMiB) {
  const CliRun r = run_cli({"run", "--backend", "noop", "--json", "--memory-mb", "17592186044420", "--", "true"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::invalid_argument));
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(json_error(r).value("message", ""),
            "--memory-mb: 17592186044420 is out of range [4, 1073741824] MiB");
}

TEST(CliNumericFlags, IssueReproducerCpuNanInPolicyCheck) {
  test::TempDir dir;
  const auto file = dir / "nan.toml";
  test::write_file(file, "name = \"nan\"\n[limits]\ncpu = nan\n");
  const CliRun r = run_cli({"policy", "check", file.string(), "--json"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::policy_value));
  const auto e = json_error(r);
  EXPECT_EQ(e.value("code", ""), "policy_value");
  EXPECT_EQ(e.value("message", ""), file.string() + ":3: limits.cpu: nan is not a number in [0.01, 1024] cores");
  EXPECT_EQ(context(e, "key"), "limits.cpu");
  EXPECT_EQ(context(e, "line"), "3");
  // Without --json: the same message, and no "valid" verdict on stdout.
  const CliRun text = run_cli({"policy", "check", file.string()});
  EXPECT_EQ(text.exit_code, cli_exit_code(ErrorCode::policy_value));
  EXPECT_EQ(text.out.find("valid"), std::string::npos) << text.out;
  EXPECT_NE(text.err.find("limits.cpu: nan is not a number in [0.01, 1024] cores"), std::string::npos) << text.err;
}

TEST(CliNumericFlags, IssueReproducerTimeoutThatOverflowedTheDeadline) {
  const CliRun r = run_cli({"run", "--backend", "noop", "--json", "--timeout-ms", "9223372036854775", "--", "true"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::invalid_argument));
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(json_error(r).value("message", ""),
            "--timeout-ms: 9223372036854775 is out of range [1, 604800000] ms");
}

TEST(CliNumericFlags, ScoreRefusesAnInvalidLimitInsteadOfScoringIt) {
  const CliRun r = run_cli({"score", "--json", "--memory-mb", "-5"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::invalid_argument));
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(json_error(r).value("message", ""), "--memory-mb: -5 is not a number in [4, 1073741824] MiB");
}

TEST(CliNumericFlags, BoundsAreAcceptedAndConverted) {
  auto lo = parse({"--memory-mb", "4", "--timeout-ms", "1", "--pids", "1"});
  ASSERT_TRUE(lo.has_value()) << lo.error().message;
  EXPECT_EQ(lo->limits.memory_bytes, 4ull << 20);
  EXPECT_EQ(lo->limits.wall_timeout.count(), 1);
  EXPECT_EQ(lo->limits.pids, 1u);
  auto hi = parse({"--memory-mb", "1073741824", "--timeout-ms", "604800000", "--pids", "4194304"});
  ASSERT_TRUE(hi.has_value()) << hi.error().message;
  EXPECT_EQ(hi->limits.memory_bytes, 1ull << 50);  // 1 PiB
  EXPECT_EQ(hi->limits.wall_timeout.count(), 604'800'000);
  EXPECT_EQ(hi->limits.pids, 4'194'304u);
  // Decimal only: a leading zero is not octal.
  auto dec = parse({"--pids", "010"});
  ASSERT_TRUE(dec.has_value()) << dec.error().message;
  EXPECT_EQ(dec->limits.pids, 10u);
}

TEST(CliNumericFlags, OneStepPastABoundIsRejected) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--memory-mb", "3"}, "--memory-mb: 3 is out of range [4, 1073741824] MiB"},
      {{"--memory-mb", "1073741825"}, "--memory-mb: 1073741825 is out of range [4, 1073741824] MiB"},
      {{"--timeout-ms", "0"}, "--timeout-ms: 0 is out of range [1, 604800000] ms"},
      {{"--timeout-ms", "604800001"}, "--timeout-ms: 604800001 is out of range [1, 604800000] ms"},
      {{"--pids", "0"}, "--pids: 0 is out of range [1, 4194304] processes"},
      {{"--pids", "4194305"}, "--pids: 4194305 is out of range [1, 4194304] processes"},
  };
  for (const auto& [args, message] : cases) {
    auto r = parse(args);
    ASSERT_FALSE(r.has_value()) << args[0] << " " << args[1];
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().message, message);
    EXPECT_EQ(r.error().context.at("flag"), args[0]);
    EXPECT_EQ(r.error().context.at("value"), args[1]);
  }
}

TEST(CliNumericFlags, NonNumbersAreRejectedBeforeAnyConversion) {
  for (const char* flag : {"--memory-mb", "--timeout-ms", "--pids"}) {
    for (const char* value : {"-5", "-0", "+5", "0x10", " 5", "5 ", "", "1e3", "5.0", "nan", "five", "5M",
                              "-9223372036854775808", "18446744073709551615", "99999999999999999999999"}) {
      auto r = parse({flag, value});
      ASSERT_FALSE(r.has_value()) << flag << " '" << value << "'";
      EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().message;
      EXPECT_EQ(r.error().message.rfind(std::string(flag) + ": " + value + " is ", 0), 0u) << r.error().message;
      EXPECT_EQ(r.error().context.at("flag"), flag);
    }
  }
}

TEST(CliNumericFlags, ScanMaxBytesIsCheckedToo) {
  test::TempDir dir;
  const auto input = dir / "input.txt";
  test::write_file(input, "nothing secret here\n");
  for (const char* value : {"-5", "0", "abc", "99999999999999999999999"}) {
    const CliRun r = run_cli({"scan", "--max-bytes", value, input.string()});
    EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::invalid_argument)) << value << ": " << r.err;
    EXPECT_NE(r.err.find(std::string("--max-bytes: ") + value + " is "), std::string::npos) << r.err;
  }
  EXPECT_EQ(run_cli({"scan", "--max-bytes", "1024", input.string()}).exit_code, 0);
}

}  // namespace
}  // namespace kavach::cli
