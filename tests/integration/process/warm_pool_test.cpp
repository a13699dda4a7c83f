// Warm start (WarmPool): pooled single-use sandboxes. A warm run must give the command exactly
// what a cold run gives it (same enforcement report, filters, limits, own namespaces and
// writable state), each pooled sandbox runs one command only, and nothing outlives the pool.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <set>
#include <thread>

#include "backend_fixture.hpp"
#include "backends/process/warm_pool.hpp"

namespace kavach::testing {
namespace {

using namespace std::chrono_literals;
using process::WarmPool;

class WarmPoolTest : public ProcessBackendTest {
 protected:
  std::unique_ptr<WarmPool> make_pool(const SandboxPolicy& pol, std::size_t size) {
    auto pool = WarmPool::create(probe_host_cached(), process::default_process_options(), pol, size);
    EXPECT_TRUE(pool.has_value()) << (pool ? "" : pool.error().message);
    if (!pool) return nullptr;
    EXPECT_TRUE((*pool)->wait_full(10s)) << (*pool)->last_error().value_or("no error recorded");
    return std::move(*pool);
  }
  ExecResult warm(WarmPool& pool, const Command& cmd) {
    auto r = pool.exec(cmd);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    if (!r) return {};
    return std::move(*r);
  }
};

TEST_F(WarmPoolTest, WarmRunGetsTheSameEnforcementAsACold) {
  const SandboxPolicy pol = quick_policy();
  auto pool = make_pool(pol, 1);
  ASSERT_TRUE(pool);
  const ExecResult w = warm(*pool, sh("echo hi; cat"));
  EXPECT_EQ(w.backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_EQ(w.exit_code, 0) << w.stderr_data;
  EXPECT_EQ(w.stdout_data, "hi\n");  // no stdin data: the command reads EOF at once
  const ExecResult c = run(pol, sh("echo hi"));
  EXPECT_EQ(c.backend_info.at("start"), "cold");
  // Equal but for the run's own cgroup directory name in the details.
  auto normalized = [](const EnforcementReport& r) {
    std::vector<ControlStatus> out = r.controls();
    const std::regex run_dir("run-[0-9]+-[0-9]+");
    for (auto& s : out) s.detail = std::regex_replace(s.detail, run_dir, "run-N");
    return out;
  };
  EXPECT_EQ(normalized(w.enforcement), normalized(c.enforcement));
}

// Mitigation off (seccomp none and Landlock off in this policy): NESTED_USERNS and WROTE_ETC
// appear and the test fails (checked once by hand).
TEST_F(WarmPoolTest, FiltersAndReadOnlyViewApplyInAWarmRun) {
  if (::access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "util-linux unshare not installed";
  auto pool = make_pool(quick_policy(), 1);
  ASSERT_TRUE(pool);
  const ExecResult r = warm(*pool, sh("unshare -U true && echo NESTED_USERNS; "
                                      "echo x > /etc/kavach-warm 2>/dev/null && echo WROTE_ETC; "
                                      "grep -E '^(NoNewPrivs|CapEff|Seccomp):' /proc/self/status | tr -s '\\t' ' '; echo done"));
  EXPECT_EQ(r.backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_EQ(r.stdout_data, "CapEff: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2\ndone\n") << r.stderr_data;
}

// Two pooled sandboxes exist side by side before either runs; the second must not see the
// first one's writes, processes or namespaces.
TEST_F(WarmPoolTest, EachRunHasItsOwnNamespacesAndWritableState) {
  auto pool = make_pool(quick_policy(), 2);
  ASSERT_TRUE(pool);
  const std::string ids = "readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/ipc "
                          "/proc/self/ns/user /proc/self/ns/cgroup | tr '\\n' ' '; echo; ";
  const ExecResult a = warm(*pool, sh(ids + "echo A > /tmp/mark; echo A > /dev/shm/mark; sleep 30 & echo started"));
  const ExecResult b = warm(*pool, sh(ids + "cat /tmp/mark /dev/shm/mark 2>&1 | wc -l; cd /proc && echo [0-9]*"));
  ASSERT_EQ(a.exit_code, 0) << a.stderr_data;
  ASSERT_EQ(b.exit_code, 0) << b.stderr_data;
  EXPECT_EQ(a.backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_EQ(b.backend_info.at("start"), "warm (pooled, single use)");
  const std::string a_ns = a.stdout_data.substr(0, a.stdout_data.find('\n'));
  const std::string b_lines = b.stdout_data;
  const std::string b_ns = b_lines.substr(0, b_lines.find('\n'));
  ASSERT_FALSE(a_ns.empty());
  EXPECT_NE(a_ns, b_ns);
  // Every namespace differs, one by one.
  std::istringstream as(a_ns);
  std::istringstream bs(b_ns);
  std::string x;
  std::string y;
  while (as >> x && bs >> y) EXPECT_NE(x, y) << "shared namespace " << x;
  // Both files missing (2 error lines), and only PID 1 and the shell (the first run's
  // background sleep died with its pid namespace).
  EXPECT_NE(b_lines.find("\n2\n1 2\n"), std::string::npos) << b_lines;
}

TEST_F(WarmPoolTest, CgroupLimitsApplyInAWarmRun) {
  SandboxPolicy pol = quick_policy();
  pol.limits.pids = 6;
  auto pool = make_pool(pol, 1);
  ASSERT_TRUE(pool);
  const ExecResult r = warm(*pool, sh("for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done 2>/dev/null; echo forked"));
  EXPECT_EQ(r.backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_TRUE(r.pids_limit_hit) << r.stdout_data << r.stderr_data;
  EXPECT_TRUE(r.enforcement.applied(Control::cgroup_pids));
}

// The wall timeout counts from the hand-over, not from when the sandbox was built.
TEST_F(WarmPoolTest, TimeoutCountsFromTheHandOverAndKillsTheTree) {
  const SandboxPolicy pol = quick_policy(Preset::strict, 600ms);
  auto pool = make_pool(pol, 2);
  ASSERT_TRUE(pool);
  std::this_thread::sleep_for(800ms);  // longer than the timeout: the pooled ones wait
  const ExecResult ok = warm(*pool, sh("sleep 0.1; echo ok"));
  EXPECT_FALSE(ok.timed_out);
  EXPECT_EQ(ok.stdout_data, "ok\n") << ok.stderr_data;
  const auto t0 = std::chrono::steady_clock::now();
  const ExecResult slow = warm(*pool, sh("sleep 20"));
  EXPECT_TRUE(slow.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(WarmPoolTest, StdinDataReachesAWarmCommand) {
  auto pool = make_pool(quick_policy(), 1);
  ASSERT_TRUE(pool);
  Command cmd{{"cat"}, {}, std::string("from stdin"), {}};
  const ExecResult r = warm(*pool, cmd);
  EXPECT_EQ(r.backend_info.at("start"), "warm (pooled, single use)");
  EXPECT_EQ(r.stdout_data, "from stdin");
}

TEST_F(WarmPoolTest, DeadOrUnsuitablePooledSandboxesFallBackToCold) {
  auto pool = make_pool(quick_policy(), 1);
  ASSERT_TRUE(pool);
  const auto pids = pool->idle_pids();
  ASSERT_EQ(pids.size(), 1u);
  ASSERT_EQ(::kill(pids[0], SIGKILL), 0);
  std::this_thread::sleep_for(50ms);
  const ExecResult r = warm(*pool, sh("echo alive"));
  EXPECT_EQ(r.backend_info.at("start"), "cold");
  EXPECT_EQ(r.stdout_data, "alive\n");
  ASSERT_TRUE(pool->wait_full(10s));
  Command with_file = sh("cat /tmp/in.txt");
  with_file.files.push_back({"/tmp/in.txt", "injected", 0444});
  const ExecResult f = warm(*pool, with_file);
  EXPECT_EQ(f.backend_info.at("start"), "cold");
  EXPECT_EQ(f.stdout_data, "injected");
}

// A pooled sandbox shows the host as it was when it was built. A protected path created on the
// host after that must be protected in the next run exactly as a cold start protects it (found
// by CI: the probe harness re-plants its protected file while the pool refills).
TEST_F(WarmPoolTest, AProtectedPathThatAppearedAfterTheBuildIsProtected) {
  HostScratch scratch;
  const auto work = scratch.path() / "work";
  const auto prot = work / "protected";
  std::filesystem::create_directories(work);
  SandboxPolicy pol = quick_policy();
  pol.fs.writable_paths.push_back(work);
  pol.fs.protected_paths.push_back(prot);
  auto pool = make_pool(pol, 1);
  ASSERT_TRUE(pool);
  std::filesystem::create_directories(prot);  // after the pool was built
  std::ofstream(prot / "file") << "protected\n";
  const std::string mv = "mv " + (prot / "file").string() + " " + (work / "moved").string() +
                         " 2>/dev/null && echo MOVED || echo kept";
  const ExecResult r = warm(*pool, sh(mv));
  EXPECT_EQ(r.stdout_data, "kept\n") << "the stale pooled sandbox let a protected file move";
  EXPECT_TRUE(std::filesystem::exists(prot / "file"));
  // Its replacement is built against the host as it is now, and is used warm.
  ASSERT_TRUE(pool->wait_full(10s));
  const ExecResult again = warm(*pool, sh(mv));
  EXPECT_EQ(again.stdout_data, "kept\n");
  EXPECT_NE(again.backend_info.at("start"), "cold");
}

TEST_F(WarmPoolTest, DestroyingThePoolLeavesNoProcessOrCgroup) {
  auto pool = make_pool(quick_policy(), 2);
  ASSERT_TRUE(pool);
  const auto pids = pool->idle_pids();
  ASSERT_EQ(pids.size(), 2u);
  std::set<std::string> cgroups;
  for (pid_t pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    std::string line;
    while (std::getline(in, line)) {
      const auto at = line.find(":pids:");
      if (at != std::string::npos) cgroups.insert("/sys/fs/cgroup/pids" + line.substr(at + 6));
    }
  }
  pool.reset();
  for (pid_t pid : pids) EXPECT_NE(::kill(pid, 0), 0) << "pooled PID 1 " << pid << " still alive";
  for (const auto& dir : cgroups) {
    EXPECT_NE(dir, "/sys/fs/cgroup/pids/");
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir;
  }
}

}  // namespace
}  // namespace kavach::testing
