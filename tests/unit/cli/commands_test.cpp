// The CLI as a user drives it: subcommands registered exactly as in main(), parsed from argv,
// stdout captured. The noop backend keeps `run` free of kernel work; what is pinned here is the
// CLI's contract (the documented --json keys, exit statuses), not isolation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_common.hpp"
#include "commands.hpp"
#include "kavach/error.hpp"
#include "kavach/result.hpp"
#include "cli_harness.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

TEST(CliCommands, RunJsonCarriesEveryDocumentedKey) {
  const CliRun r = run_cli({"run", "--backend", "noop", "--json", "--", "true"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"exit_code", "signal", "timed_out", "oom_killed", "stdout", "stderr",
                          "stdout_truncated", "stderr_truncated", "duration_ms", "score",
                          "enforcement", "timings"}) {
    EXPECT_TRUE(j.contains(key)) << "run --json lacks '" << key << "':\n" << r.out;
  }
  for (const char* key : {"value", "label", "breakdown", "basis"}) {
    EXPECT_TRUE(j["score"].contains(key)) << key;
  }
  EXPECT_EQ(j["score"]["basis"], "enforced");
  ASSERT_TRUE(j["enforcement"].is_array());
  ASSERT_FALSE(j["enforcement"].empty());
  for (const char* key : {"control", "requested", "applied", "detail"}) {
    EXPECT_TRUE(j["enforcement"][0].contains(key)) << key;
  }
}

TEST(CliCommands, RunWithoutACommandIsAUsageError) {
  EXPECT_EQ(run_cli({"run", "--backend", "noop"}).exit_code, cli_exit_code(ErrorCode::invalid_argument));
}

TEST(CliCommands, UnknownBackendHasItsOwnStatus) {
  const CliRun r = run_cli({"run", "--backend", "frobnix", "--", "true"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::unknown_backend));
  EXPECT_NE(r.exit_code, cli_exit_code(ErrorCode::invalid_argument));
}

TEST(CliCommands, BadPolicyFileStatusNamesTheErrorClass) {
  const CliRun r = run_cli({"policy", "check", "/nonexistent/kavach/policy.toml"});
  EXPECT_EQ(r.exit_code, cli_exit_code(ErrorCode::path_not_found));
}

TEST(CliCommands, ScoreJsonIsRequestedAndNamesMaturity) {
  const CliRun r = run_cli({"score", "--backend", "oci", "--preset", "strict", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["basis"], "requested");
  EXPECT_EQ(j["backend"], "oci");
  EXPECT_EQ(j["value"], 81);  // no Landlock under OCI runtimes: not promised
  const auto fc = nlohmann::json::parse(
      run_cli({"score", "--backend", "firecracker", "--preset", "strict", "--json"}).out);
  EXPECT_EQ(fc["maturity"], "not-implemented");
}

TEST(CliCommands, ShellStatusMirrorsTheShell) {
  ExecResult r;
  r.exit_code = 7;
  EXPECT_EQ(shell_status(r), 7);
  ExecResult killed;
  killed.signal = 9;
  EXPECT_EQ(shell_status(killed), 137);
}

}  // namespace
}  // namespace kavach::cli
