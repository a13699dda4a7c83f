// Resource limits and teardown: the pids limit stops a fork bomb, the memory limit OOM-kills a
// balloon (reported as such), an output flood is truncated without growing our memory,
// background processes neither survive nor hang the run, and the timeout kills the whole tree.
// Every test is bounded by a short wall timeout.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

using Resources = ProcessBackendTest;
using std::chrono::milliseconds;

std::uint64_t own_rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

bool has_limit(const char* controller) {
  return probe_host_cached().cgroups.limit_controllers.count(controller) != 0;
}

TEST_F(Resources, ForkBombIsStoppedByThePidsLimit) {
  if (!has_limit("pids")) GTEST_SKIP() << "no pids controller on this host";
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(2'000));
  pol.limits.pids = 64;
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(pol, sh("b() { b | b & }; b; sleep 5"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.pids_limit_hit);
  ASSERT_TRUE(r.usage.pids_peak.has_value());
  EXPECT_LE(*r.usage.pids_peak, 64u);
  EXPECT_LT(took, std::chrono::seconds(5)) << "the host stayed responsive and the run ended";
}

// The negative control is safe: 100 sleeping children, not a bomb.
TEST_F(Resources, PidsLimitIsWhatStopsForks) {
  if (!has_limit("pids")) GTEST_SKIP() << "no pids controller on this host";
  const std::string script = "i=0; while [ $i -lt 100 ]; do sleep 2 & i=$((i+1)); done 2>/dev/null; echo spawned";
  SandboxPolicy limited = quick_policy(Preset::strict, milliseconds(5'000));
  limited.limits.pids = 64;
  const ExecResult with = run(limited, sh(script));
  EXPECT_TRUE(with.pids_limit_hit);
  SandboxPolicy unlimited = limited;
  unlimited.limits.pids = 1000;
  const ExecResult without = run(unlimited, sh(script));
  EXPECT_FALSE(without.pids_limit_hit);
  EXPECT_EQ(without.stdout_data, "spawned\n");
}

// Mitigation off: the same balloon without a memory limit completes.
TEST_F(Resources, MemoryBalloonIsOomKilledAndReported) {
  if (!has_limit("memory")) GTEST_SKIP() << "no memory controller on this host";
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 not installed";
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(5'000));
  pol.limits.memory_bytes = 64u << 20;
  pol.limits.swap_bytes = 0;
  const Command balloon{{"python3", "-c", "b = b'x' * (160 << 20); print('survived')"}, {}, {}, {}};
  const ExecResult r = run(pol, balloon);
  EXPECT_TRUE(r.oom_killed);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.stdout_data, "");
  ASSERT_TRUE(r.usage.memory_peak_bytes.has_value());
  EXPECT_LE(*r.usage.memory_peak_bytes, 64u << 20);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(Resources, OutputFloodIsTruncatedWithinTheTimeout) {
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(1'500));
  pol.limits.output_bytes = 1u << 20;
  const std::uint64_t rss_before = own_rss_kb();
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(pol, sh("yes & yes >&2"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(r.stdout_truncated);
  EXPECT_TRUE(r.stderr_truncated);
  EXPECT_EQ(r.stdout_data.size(), 1u << 20);
  EXPECT_EQ(r.stderr_data.size(), 1u << 20);
  EXPECT_LT(took, std::chrono::milliseconds(3'000));
  EXPECT_GT(std::stoull(r.backend_info.at("stdout_bytes_total")), 10ull << 20) << "the flood was drained, not blocked";
  EXPECT_LT(own_rss_kb(), rss_before + 32 * 1024) << "capture memory must stay bounded";
}

// Mitigation off: on a host without namespaces or cgroups (injected; may_degrade) the
// background sleeps survive the run.
TEST_F(Resources, BackgroundProcessesNeitherSurviveNorHang) {
  const std::string marker = "1000." + unique_token();
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(quick_policy(Preset::strict, milliseconds(10'000)),
                           sh("sleep " + marker + " & sleep " + marker + " & (setsid sleep " + marker +
                              " &); echo started"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.stdout_data, "started\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(took, std::chrono::seconds(3)) << "pipes held by background processes must not hang the run";
  EXPECT_TRUE(processes_with("sleep " + marker).empty()) << "a background process survived";
  kill_processes_with("sleep " + marker);
}

TEST_F(Resources, TimeoutKillsTheWholeTree) {
  const std::string marker = "999." + unique_token();
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(quick_policy(Preset::strict, milliseconds(800)),
                           sh("sleep " + marker + " & (setsid sleep " + marker + " &); sleep " + marker));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(r.signal.has_value());
  EXPECT_GE(took, std::chrono::milliseconds(800));
  EXPECT_LT(took, std::chrono::milliseconds(2'500));
  EXPECT_TRUE(processes_with("sleep " + marker).empty()) << "part of the tree survived the timeout";
  kill_processes_with("sleep " + marker);
}

TEST_F(Resources, CpuTimeLimitIsReportedDistinctly) {
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(5'000));
  pol.limits.cpu_time_seconds = 1;
  const ExecResult r = run(pol, sh("while :; do :; done"));
  EXPECT_TRUE(r.cpu_limit_hit) << "user " << r.usage.user_cpu_ms << " ms, sys " << r.usage.sys_cpu_ms
                               << " ms, signal " << r.signal.value_or(0) << ", exit " << r.exit_code.value_or(-1);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.signal == SIGKILL || r.signal == SIGXCPU) << r.signal.value_or(0);
}

TEST_F(Resources, CgroupPeaksAreReadBack) {
  if (!has_limit("memory") || !has_limit("pids")) GTEST_SKIP() << "needs memory and pids controllers";
  const ExecResult r = run(quick_policy(), sh("true; true"));
  ASSERT_TRUE(r.usage.memory_peak_bytes.has_value());
  EXPECT_GT(*r.usage.memory_peak_bytes, 0u);
  ASSERT_TRUE(r.usage.pids_peak.has_value());
  EXPECT_GE(*r.usage.pids_peak, 2u);
}

}  // namespace
}  // namespace kavach::testing

namespace kavach::testing {
namespace {

// H09: killing the launcher kills the sandbox (PID 1 has PR_SET_PDEATHSIG; its death ends the
// pid namespace). The launcher is a forked copy of this test that runs one sandbox.
// The child joins its v1 cgroups itself (tasks files the parent opened): the command must be
// in the run's cgroup on every limited hierarchy, seen from the host. Mitigation off (the
// join skipped): its cgroups are the launcher's and the test fails.
TEST_F(Resources, CommandIsInTheRunsCgroupOnEveryLimitedHierarchy) {
  const std::string marker = "0.9" + unique_token();
  auto done = std::async(std::launch::async, [&] { return run(quick_policy(), sh("sleep " + marker)); });
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<int> pids;
  while ((pids = processes_with("sleep " + marker)).empty() &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    ::usleep(5'000);
  }
  ASSERT_FALSE(pids.empty()) << "the sandbox never started";
  std::map<std::string, std::string> where;  // hierarchy -> path
  {
    std::ifstream in("/proc/" + std::to_string(pids.front()) + "/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      const auto a = line.find(':');
      const auto b = line.find(':', a + 1);
      where[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
  }
  const ExecResult r = done.get();
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  for (const auto& [ctrl, version] : probe_host_cached().cgroups.limit_controllers) {
    const std::string key = version == "v2" ? "" : ctrl;
    ASSERT_TRUE(where.count(key)) << ctrl;
    EXPECT_NE(where[key].find("/kavach/run-"), std::string::npos) << ctrl << " at " << where[key];
  }
}

TEST_F(Resources, KillingTheLauncherKillsTheSandbox) {
  const std::string marker = "1002." + unique_token();
  const pid_t launcher = ::fork();
  if (launcher == 0) {
    auto b = process::make_process_backend(probe_host_cached());
    (void)b->exec(quick_policy(Preset::strict, std::chrono::milliseconds(20'000)), sh("sleep " + marker));
    ::_exit(0);
  }
  ASSERT_GT(launcher, 0);
  const auto t0 = std::chrono::steady_clock::now();
  while (processes_with("sleep " + marker).empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    ::usleep(10'000);
  }
  ASSERT_FALSE(processes_with("sleep " + marker).empty()) << "the sandbox never started";
  ::kill(launcher, SIGKILL);
  ::waitpid(launcher, nullptr, 0);
  const auto t1 = std::chrono::steady_clock::now();
  while (!processes_with("sleep " + marker).empty() && std::chrono::steady_clock::now() - t1 < std::chrono::seconds(3)) {
    ::usleep(10'000);
  }
  EXPECT_TRUE(processes_with("sleep " + marker).empty()) << "the sandbox outlived its launcher";
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(1));
  kill_processes_with("sleep " + marker);
  // The next backend removes the cgroups the killed launcher left behind.
  auto cleaner = process::make_process_backend(probe_host_cached());
  const CgroupInfo& cg = probe_host_cached().cgroups;
  for (const auto& [ctrl, mount] : cg.v1_mounts) {
    const auto own = cg.own_paths.count(ctrl) != 0 ? cg.own_paths.at(ctrl) : std::string("/");
    const std::filesystem::path parent = std::filesystem::path(mount + (own == "/" ? "" : own)) / "kavach";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(parent, ec)) {
      EXPECT_NE(e.path().filename().string().rfind("run-" + std::to_string(launcher) + "-", 0), 0u)
          << "stale cgroup left: " << e.path();
    }
  }
}

}  // namespace
}  // namespace kavach::testing
