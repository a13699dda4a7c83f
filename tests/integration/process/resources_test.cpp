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

// For the negative controls of the tree kill: an injected host with neither namespaces nor
// cgroups, and a policy that lets every control that needs them degrade. The run then has no
// PID namespace whose end kills the tree and no cgroup to kill: what the timeout and the exit
// sweep reach is the command's own process only.
HostInfo host_without_tree_kill() {
  HostInfo h = live_host();
  h.user_namespaces = false;
  h.userns_reason = "injected: no user namespaces";
  h.is_root = false;
  h.cgroups = CgroupInfo{};
  return h;
}

SandboxPolicy policy_without_tree_kill(milliseconds timeout) {
  SandboxPolicy pol = quick_policy(Preset::strict, timeout);
  pol.limits.memory_bytes.reset();
  pol.limits.swap_bytes.reset();
  pol.limits.cpu_cores.reset();
  pol.limits.pids.reset();
  pol.limits.cpu_time_seconds.reset();
  pol.may_degrade = {Control::ns_user, Control::ns_pid, Control::ns_mount, Control::ns_net, Control::ns_ipc,
                     Control::ns_uts, Control::ns_cgroup, Control::network, Control::readonly_root};
  return pol;
}

// The tree CPU time the backend measured (cgroup accounting), in ms; -1 when not reported.
long tree_cpu_ms(const ExecResult& r) {
  auto it = r.backend_info.find("cpu_time_tree_ms");
  return it == r.backend_info.end() ? -1 : std::stol(it->second);
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

const Command kBalloon{{"python3", "-c", "b = b'x' * (160 << 20); print('survived')"}, {}, {}, {}};

TEST_F(Resources, MemoryBalloonIsOomKilledAndReported) {
  if (!has_limit("memory")) GTEST_SKIP() << "no memory controller on this host";
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 not installed";
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(5'000));
  pol.limits.memory_bytes = 64u << 20;
  pol.limits.swap_bytes = 0;
  const ExecResult r = run(pol, kBalloon);
  EXPECT_TRUE(r.oom_killed);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.stdout_data, "");
  ASSERT_TRUE(r.usage.memory_peak_bytes.has_value());
  EXPECT_LE(*r.usage.memory_peak_bytes, 64u << 20);
  EXPECT_FALSE(r.timed_out);
}

// Negative control: the same 160 MiB balloon without a memory limit completes.
TEST_F(Resources, MemoryBalloonSurvivesWithoutMitigation) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 not installed";
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(5'000));
  pol.limits.memory_bytes.reset();
  pol.limits.swap_bytes.reset();
  const ExecResult r = run(pol, kBalloon);
  EXPECT_FALSE(r.oom_killed);
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "survived\n");
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

// Negative control: the same tree on a host where neither a PID namespace nor a cgroup can
// end it: the timeout kills the shell, the setsid'd grandchild lives on.
TEST_F(Resources, TimeoutLeavesAGrandchildWithoutMitigation) {
  const std::string marker = "998." + unique_token();
  auto weakened = process::make_process_backend(host_without_tree_kill());
  const ExecResult r = run_on(*weakened, policy_without_tree_kill(milliseconds(800)),
                              sh("(setsid sleep " + marker + " &); sleep " + marker));
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.enforcement.applied(Control::ns_pid));
  EXPECT_FALSE(processes_appearing_with("sleep " + marker).empty()) << "without the tree kill the grandchild survives";
  kill_processes_with("sleep " + marker);
}

// Negative control of BackgroundProcessesNeitherSurviveNorHang.
TEST_F(Resources, BackgroundProcessesSurviveWithoutMitigation) {
  const std::string marker = "997." + unique_token();
  auto weakened = process::make_process_backend(host_without_tree_kill());
  const ExecResult r = run_on(*weakened, policy_without_tree_kill(milliseconds(5'000)),
                              sh("(setsid sleep " + marker + " >/dev/null 2>&1 &); echo started"));
  EXPECT_EQ(r.stdout_data, "started\n");
  EXPECT_FALSE(processes_appearing_with("sleep " + marker).empty()) << "without the tree kill the background sleep survives";
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

// The CPU-time limit holds for the whole tree (cgroup accounting polled by the supervisor), not
// only per process (RLIMIT_CPU): a spinner in the background is killed with the tree at ~1 s.
TEST_F(Resources, CpuTimeLimitKillsABackgroundSpinner) {
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(8'000));
  pol.limits.cpu_time_seconds = 1;
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(pol, sh("(while :; do :; done) & sleep 4; echo alive"));
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r.enforcement.applied(Control::cpu_time)) << r.enforcement.find(Control::cpu_time)->detail;
  EXPECT_TRUE(r.cpu_limit_hit);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.stdout_data, "") << "the shell must die with the spinner";
  EXPECT_LT(took, std::chrono::milliseconds(3'000));
  EXPECT_GE(tree_cpu_ms(r), 1'000);
  EXPECT_LT(tree_cpu_ms(r), 1'500);
}

// A loop that keeps starting short spinners in parallel: no single process comes near
// RLIMIT_CPU, together they would spin until the wall timeout.
TEST_F(Resources, CpuTimeLimitKillsALoopOfSpinners) {
  const std::string marker = "spin" + unique_token();
  SandboxPolicy pol = quick_policy(Preset::strict, milliseconds(8'000));
  pol.limits.cpu_time_seconds = 1;
  const std::string spinner = "sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done' " + marker;
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run(pol, sh("for j in 1 2 3 4; do (while :; do " + spinner + "; done) & done; sleep 6; echo alive"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(r.cpu_limit_hit);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.stdout_data, "");
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(took, std::chrono::milliseconds(4'000));
  EXPECT_GE(tree_cpu_ms(r), 1'000);
  EXPECT_LT(tree_cpu_ms(r), 1'500);
  EXPECT_TRUE(processes_with(marker).empty()) << "a spinner survived the CPU-time kill";
  kill_processes_with(marker);
}

// Negative controls, same file: (1) no CPU-time limit: the background spinner runs past 1 s of
// CPU and the shell finishes; (2) per-process RLIMIT_CPU only (the tree watch degraded on an
// injected host without cgroup CPU accounting): the loop of short spinners outlives the limit.
TEST_F(Resources, CpuSpinnersOutliveTheLimitWithoutMitigation) {
  SandboxPolicy unlimited = quick_policy(Preset::strict, milliseconds(8'000));
  unlimited.limits.cpu_time_seconds.reset();
  const ExecResult free_run = run(unlimited, sh("(while :; do :; done) & sleep 2; echo alive"));
  EXPECT_FALSE(free_run.cpu_limit_hit);
  EXPECT_EQ(free_run.exit_code, 0);
  EXPECT_EQ(free_run.stdout_data, "alive\n");
  EXPECT_FALSE(free_run.enforcement.find(Control::cpu_time)->requested);

  HostInfo h = live_host();
  h.cgroups.v2_mount.clear();
  h.cgroups.clone_into_cgroup = false;
  h.cgroups.cgroup_kill = false;
  h.cgroups.v1_mounts.erase("cpuacct");
  auto per_process_only = process::make_process_backend(h);
  SandboxPolicy rlimit_only = quick_policy(Preset::strict, milliseconds(8'000));
  rlimit_only.limits.cpu_time_seconds = 1;
  rlimit_only.may_degrade = {Control::cpu_time};
  const std::string spinner = "sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'";
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult r = run_on(*per_process_only, rlimit_only,
                              sh("(while :; do " + spinner + "; done) & (while :; do " + spinner +
                                 "; done) & sleep 2; echo alive"));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.enforcement.applied(Control::cpu_time));
  EXPECT_TRUE(r.enforcement.find(Control::cpu_time)->requested);
  EXPECT_FALSE(r.cpu_limit_hit);
  EXPECT_EQ(r.stdout_data, "alive\n") << "two spinner loops ran ~2 s on up to two cores, past the 1 s limit";
  EXPECT_GE(took, std::chrono::milliseconds(2'000));
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
