// One error style for every subcommand, text and --json, with hints for the common slips
// (issue 13: `kavach scan --json /nonexist` printed plain text; a missing `--` had no hint).
#include <gtest/gtest.h>

#include "kavach/error.hpp"
#include "run_kavach.hpp"
#include "support/temp_dir.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

const int kUsage = cli_exit_code(ErrorCode::invalid_argument);

// --json: nothing on stdout, {"schema_version":1,"error":{code,message,context}} on stderr.
nlohmann::json expect_json_error(const KavachRun& r, ErrorCode code) {
  EXPECT_EQ(r.status, cli_exit_code(code)) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto j = parse_json(r.err);
  EXPECT_EQ(j.value("schema_version", 0), 1) << r.err;
  const auto e = j.value("error", nlohmann::json::object());
  EXPECT_EQ(e.value("code", ""), std::string(to_string(code))) << r.err;
  EXPECT_FALSE(e.value("message", "").empty()) << r.err;
  EXPECT_TRUE(e.contains("context") && e["context"].is_object()) << r.err;
  return e;
}

TEST(CliErrors, ScanJsonErrorIsTheErrorObject) {
  const auto e = expect_json_error(run_kavach({"scan", "--json", "/nonexist"}), ErrorCode::path_not_found);
  EXPECT_EQ(e["context"].value("file", ""), "/nonexist");
}

TEST(CliErrors, EverySubcommandWithJsonReportsErrorsAsJson) {
  test::TempDir dir;
  expect_json_error(run_kavach({"policy", "check", "--json", "/nonexistent/p.toml"}), ErrorCode::path_not_found);
  expect_json_error(run_kavach({"score", "--json", "--backend", "frobnix"}), ErrorCode::unknown_backend);
  expect_json_error(run_kavach({"run", "--json", "--preset", "paranoid", "--", "true"}), ErrorCode::unknown_preset);
  expect_json_error(run_kavach({"verify", "--json", "--backend", "frobnix"}), ErrorCode::unknown_backend);
  expect_json_error(run_kavach({"audit", "verify", "--json", (dir / "none.jsonl").string(), "--key",
                                (dir / "nokey").string()}),
                    ErrorCode::audit_error);
  // A parse error too, as soon as --json is one of kavach's own words.
  expect_json_error(run_kavach({"backends", "--json", "--frob"}), ErrorCode::invalid_argument);
  expect_json_error(run_kavach({"doctor", "--json", "extra"}), ErrorCode::invalid_argument);
  expect_json_error(run_kavach({"gc", "--json", "--frob"}), ErrorCode::invalid_argument);
}

TEST(CliErrors, TextErrorsShareOneStyle) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"scan", "/nonexist"},
                                                                {"policy", "check", "/nonexistent/p.toml"},
                                                                {"run", "--backend", "frobnix", "--", "true"},
                                                                {"score", "--memory-mb", "-5"}}) {
    const KavachRun r = run_kavach(args);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.err.rfind("kavach: error [", 0), 0u) << args[0] << ":\n" << r.err;
  }
}

TEST(CliErrors, MissingDashDashSuggestsTheCommandLineWithIt) {
  const KavachRun r = run_kavach({"run", "--timeout-ms", "5000", "python3", "-c", "print(1)"});
  EXPECT_EQ(r.status, kUsage);
  EXPECT_NE(r.err.find("The following argument was not expected: -c"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hint: the command's own options need `--` before the command: kavach run [options] -- "
                       "CMD ARGS"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("kavach run --timeout-ms 5000 -- python3 -c 'print(1)'"), std::string::npos) << r.err;

  const KavachRun j = run_kavach({"run", "--json", "python3", "-c", "print(1)"});
  const auto e = expect_json_error(j, ErrorCode::invalid_argument);
  EXPECT_NE(e.value("hint", "").find("kavach run --json -- python3 -c 'print(1)'"), std::string::npos) << j.err;
}

TEST(CliErrors, UsageSlipsNameTheFix) {
  const KavachRun none = run_kavach({});
  EXPECT_EQ(none.status, kUsage);
  EXPECT_NE(none.err.find("subcommands: run, backends"), std::string::npos) << none.err;
  const KavachRun typo = run_kavach({"rn", "--", "true"});
  EXPECT_EQ(typo.status, kUsage);
  EXPECT_NE(typo.err.find("hint: subcommands:"), std::string::npos) << typo.err;
  const KavachRun nocmd = run_kavach({"run", "--backend", "noop"});
  EXPECT_EQ(nocmd.status, kUsage);
  EXPECT_NE(nocmd.err.find("give the command after `--`"), std::string::npos) << nocmd.err;
}

TEST(CliErrors, ExitCodesAreListedOnceInHelpExitCodes) {
  const KavachRun table = run_kavach({"help", "exit-codes"});
  EXPECT_EQ(table.status, 0);
  for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
    const auto code = static_cast<ErrorCode>(i);
    EXPECT_NE(table.out.find(std::to_string(cli_exit_code(code)) + "  " + std::string(to_string(code))),
              std::string::npos)
        << to_string(code);
  }
  // Not repeated in every --help, and each fits on a screen.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"run", "--help"}, {"score", "--help"}, {"scan", "--help"}, {"policy", "check", "--help"},
           {"audit", "verify", "--help"}, {"verify", "--help"}, {"gc", "--help"}, {"backends", "--help"},
           {"doctor", "--help"}, {"completion", "--help"}, {"help", "--help"}}) {
    const KavachRun h = run_kavach(args);
    EXPECT_EQ(h.status, 0) << args[0];
    EXPECT_EQ(h.out.find("output_quarantined"), std::string::npos) << args[0] << " repeats the table:\n" << h.out;
    EXPECT_LE(std::count(h.out.begin(), h.out.end(), '\n'), 42) << args[0] << ":\n" << h.out;
  }
  const KavachRun run_help = run_kavach({"help", "run"});
  EXPECT_EQ(run_help.status, 0);
  EXPECT_NE(run_help.out.find("Usage: kavach run"), std::string::npos) << run_help.out;
}

TEST(CliErrors, VersionFlag) {
  const KavachRun r = run_kavach({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("kavach " KAVACH_TEST_VERSION "\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("libseccomp "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kernel Linux "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace kavach::cli
