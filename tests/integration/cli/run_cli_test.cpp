// `kavach run` on the real process backend, through the whole CLI (run_main): the "What was
// seen" lines of issue 13 that need a command to run (or fail to start) in a real sandbox.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"
#include "cli_sandbox_test.hpp"
#include "run_kavach.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;

class RunCli : public CliSandboxTest {};

TEST_F(RunCli, CommandNotFoundPrintsTheErrorNotAScore) {
  const KavachRun r = run_kavach({"run", "--", "kavach-no-such-command"});
  EXPECT_EQ(r.status, 127);
  EXPECT_EQ(r.err.find("score "), std::string::npos) << "a score for a run that never started:\n" << r.err;
  EXPECT_NE(r.err.find("kavach: error [exec_failed] at stage exec: cannot execute 'kavach-no-such-command'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("hint: 'kavach-no-such-command' is in no directory of the sandbox's PATH"), std::string::npos)
      << r.err;
  // -q hides the summary, not the error.
  EXPECT_NE(run_kavach({"run", "-q", "--", "kavach-no-such-command"}).err.find("error [exec_failed]"),
            std::string::npos);
  const KavachRun j = run_kavach({"run", "--json", "--", "kavach-no-such-command"});
  EXPECT_EQ(j.status, 127);
  const auto json = parse_json(j.out);
  EXPECT_TRUE(json.at("score").is_null()) << j.out;
  EXPECT_EQ(json.at("setup_failure").at("stage"), "exec");
  EXPECT_FALSE(json.at("hints").empty());
}

TEST_F(RunCli, ReplacedSystemPathsNameTheMissingLoader) {
  write("usr.toml", "extends = \"strict\"\n[fs]\nreadonly_paths = [\"/usr\"]\n");
  const KavachRun r = run_kavach({"run", "--policy", (dir_ / "usr.toml").string(), "--", "true"});
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_NE(r.err.find("needs its interpreter /lib"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fs.readonly_paths_add"), std::string::npos) << r.err;
  // The fix the hint names works.
  write("add.toml", "extends = \"strict\"\n[fs]\nreadonly_paths_add = [\"/usr\"]\n");
  EXPECT_EQ(run_kavach({"run", "-q", "--policy", (dir_ / "add.toml").string(), "--", "true"}).status, 0);
}

TEST_F(RunCli, ScriptInAnUnmountedDirectoryIsExplained) {
  write("hello.py", "print('hello from kavach')\n");
  std::error_code ec;
  const fs::path before = fs::current_path(ec);
  fs::current_path(dir_);
  const KavachRun r = run_kavach({"run", "-q", "--", "python3", "./hello.py"});
  const KavachRun fixed = run_kavach({"run", "-q", "--ro", ".", "--cwd", ".", "--", "python3", "./hello.py"});
  const KavachRun rw = run_kavach({"run", "-q", "--rw", ".", "--", "python3", "./hello.py"});
  fs::current_path(before);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("hint: './hello.py' is " + (dir_ / "hello.py").string() +
                       " on the host, which the sandbox does not see"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--ro " + dir_.string() + " --cwd " + dir_.string()), std::string::npos) << r.err;
  EXPECT_EQ(fixed.status, 0) << fixed.err;
  EXPECT_EQ(fixed.out, "hello from kavach\n");
  EXPECT_EQ(rw.status, 0) << rw.err;
  EXPECT_EQ(rw.out, "hello from kavach\n");
}

TEST_F(RunCli, TruncationIsLoudEvenWithQuiet) {
  const KavachRun r = run_kavach({"run", "-q", "--output-limit", "1K", "--", "sh", "-c", "head -c 5000 /dev/zero"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.size(), 1024u);
  EXPECT_NE(r.err.find("kavach: stdout truncated: kept the first 1024 bytes of 5000 written"), std::string::npos)
      << r.err;
  const auto j =
      parse_json(run_kavach({"run", "--json", "--output-limit", "1K", "--", "sh", "-c", "head -c 5000 /dev/zero"}).out);
  EXPECT_EQ(j.at("stdout_truncated"), true);
  EXPECT_EQ(j.at("stderr_truncated"), false);
  EXPECT_EQ(j.at("output_limit_bytes"), 1024);
}

TEST_F(RunCli, OutputThatIsNotUtf8TravelsExactlyInBase64) {
  const KavachRun r = run_kavach({"run", "--json", "--", "printf", "\\377\\376ok"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = parse_json(r.out);
  EXPECT_EQ(j.at("stdout_b64"), "//5vaw==") << r.out;
  EXPECT_FALSE(j.contains("stderr_b64"));
}

TEST_F(RunCli, DebugShowsTheMountPlanAndStageTimings) {
  const KavachRun r = run_kavach({"run", "-v", "-q", "--", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("kavach: mount plan, in order"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tmpfs new root"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kavach: stages (ms): "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" mounts "), std::string::npos) << r.err;
  // A read-only directory the sandbox's user may not enter: said so.
  fs::create_directory(dir_ / "private");
  fs::permissions(dir_ / "private", fs::perms::owner_all);
  const KavachRun closed = run_kavach({"run", "--ro", dir_.string(), "--cwd", (dir_ / "private").string(), "--", "true"});
  EXPECT_EQ(closed.status, cli_exit_code(ErrorCode::setup_failed)) << closed.err;
  EXPECT_NE(closed.err.find("not its owner"), std::string::npos) << closed.err;
  // A set-up error shows the plan it was carrying out.
  const KavachRun bad = run_kavach({"run", "-v", "--rw", dir_.string(), "--cwd", (dir_ / "nodir").string(), "--", "true"});
  EXPECT_EQ(bad.status, cli_exit_code(ErrorCode::setup_failed)) << bad.err;
  EXPECT_NE(bad.err.find("kavach: mount plan, in order"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("at stage workdir"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("hint: the working directory " + (dir_ / "nodir").string()), std::string::npos) << bad.err;
}

TEST_F(RunCli, EnvAndCwdReachTheCommand) {
  ::setenv("KAVACH_CLI_TEST_HOST", "from-host", 1);
  const KavachRun r = run_kavach({"run", "-q", "--env", "FOO=bar baz", "--env", "KAVACH_CLI_TEST_HOST", "--ro",
                                  dir_.string(), "--cwd", dir_.string(), "--", "sh", "-c",
                                  "echo \"$FOO|$KAVACH_CLI_TEST_HOST|$(pwd)\""});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "bar baz|from-host|" + dir_.string() + "\n");
}

}  // namespace
}  // namespace kavach::cli
