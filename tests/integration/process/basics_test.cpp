// The process backend runs ordinary commands under every preset, with input, injected files,
// precise errors, the clone(2) fallback, and many runs at once.
#include <sys/stat.h>

#include <thread>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

class Presets : public ProcessBackendTest, public ::testing::WithParamInterface<Preset> {};

// Upstream broke the second fork (wrong pid namespace set-up): `true; true` must work.
TEST_P(Presets, TwoForksInAShellWork) {
  const ExecResult r = run(quick_policy(GetParam()), sh("echo hi; true; true"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "hi\n");
  EXPECT_FALSE(r.timed_out);
  for (const auto& c : r.enforcement.controls()) {
    EXPECT_EQ(c.requested, c.applied) << to_string(c.control) << ": " << c.detail;
  }
}

INSTANTIATE_TEST_SUITE_P(All, Presets,
                         ::testing::Values(Preset::minimal, Preset::basic, Preset::strict, Preset::agent),
                         [](const auto& p) { return std::string(to_string(p.param)); });

using Basics = ProcessBackendTest;

TEST_F(Basics, Python3RunsUnderStrict) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 not installed";
  const ExecResult r = run(quick_policy(), Command{{"python3", "-c", "import json,os; print(sum(range(10)), os.getuid())"}, {}, {}, {}});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "45 0\n");
}

TEST_F(Basics, StdinIsDevNullUnlessGiven) {
  ExecResult r = run(quick_policy(), Command{{"cat"}, {}, {}, {}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "");
  r = run(quick_policy(), Command{{"cat"}, {}, std::string("from the caller\n"), {}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "from the caller\n");
}

TEST_F(Basics, LargeStdinAndOutputFlowConcurrently) {
  const std::string big(3u << 20, 'a');  // larger than any pipe buffer both ways
  SandboxPolicy pol = quick_policy();
  pol.limits.output_bytes = 4u << 20;
  const ExecResult r = run(pol, Command{{"cat"}, {}, big, {}});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data.size(), big.size());
  EXPECT_FALSE(r.stdout_truncated);
}

TEST_F(Basics, InjectedFilesComeFromMemory) {
  Command cmd = sh("cat /run/secrets/token; stat -c '%a %U' /run/secrets/token; cat /tmp/cfg/app.ini");
  cmd.files = {{"/run/secrets/token", "s3cr3t", 0400}, {"/tmp/cfg/app.ini", "[x]\n", 0644}};
  const ExecResult r = run(quick_policy(), cmd);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "s3cr3t400 root\n[x]\n");
  struct stat st {};
  EXPECT_NE(::stat("/run/secrets/token", &st), 0) << "the injected file must not exist on the host";
}

TEST_F(Basics, InjectedFileOnAHostBindIsRefused) {
  Command cmd = sh("true");
  cmd.files = {{"/etc/kavach-token", "x", 0400}};
  auto r = backend_->exec(quick_policy(), cmd);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
}

TEST_F(Basics, CommandNotFoundIsAnExecStageFailure) {
  const ExecResult r = run(quick_policy(), Command{{"no-such-program-kavach"}, {}, {}, {}});
  ASSERT_TRUE(r.setup_failure.has_value());
  EXPECT_EQ(r.setup_failure->stage, "exec");
  EXPECT_EQ(r.setup_failure->error_number, ENOENT);
  EXPECT_EQ(r.exit_code, 127);
}

TEST_F(Basics, SetupErrorNamesTheStage) {
  SandboxPolicy pol = quick_policy();
  pol.fs.workdir = "/no/such/dir";
  auto r = backend_->exec(pol, sh("true"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::setup_failed);
  EXPECT_EQ(r.error().context.at("stage"), "workdir") << r.error().describe();
}

TEST_F(Basics, EmptyCommandIsInvalid) {
  auto r = backend_->exec(quick_policy(), Command{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
}

TEST_F(Basics, LegacyCloneFallbackWorks) {
  process::ProcessBackendOptions opt = process::default_process_options();
  opt.force_legacy_clone = true;
  auto legacy = process::make_process_backend(probe_host_cached(), opt);
  const ExecResult r = run_on(*legacy, quick_policy(), sh("echo ok; true; true"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "ok\n");
  EXPECT_EQ(r.backend_info.at("clone"), "clone");
  EXPECT_EQ(r.backend_info.at("cgroup_placement"), "cgroup.procs");
}

TEST_F(Basics, ManyRunsAtOnceFromThreads) {
  constexpr int kThreads = 6;
  constexpr int kRuns = 4;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        const std::string word = "t" + std::to_string(t) + "r" + std::to_string(i);
        auto r = backend_->exec(quick_policy(), sh("echo " + word + "; true; true"));
        if (r && r->exit_code == 0 && r->stdout_data == word + "\n") ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kRuns);
}

TEST_F(Basics, ReportsTimingsPerStage) {
  const ExecResult r = run(quick_policy(), Command{{"/bin/true"}, {}, {}, {}});
  std::set<std::string> stages;
  for (const auto& t : r.timings) stages.insert(t.stage);
  for (const char* s : {"clone", "id_maps", "cgroup", "mounts", "landlock", "seccomp", "exec"}) {
    EXPECT_EQ(stages.count(s), 1u) << s;
  }
}

}  // namespace
}  // namespace kavach::testing
