// Fail closed: a control the (injected) host cannot apply is an error naming it, unless the
// policy lists it in may_degrade; then the run proceeds and the report says applied=false.
// The degraded runs double as negative controls: they show the holes the other tests look for.
#include <unistd.h>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

using FailClosed = ProcessBackendTest;

HostInfo without_userns() {
  HostInfo h = live_host();
  h.user_namespaces = false;
  h.userns_reason = "sysctl user.max_user_namespaces = 0 (injected)";
  h.is_root = false;
  return h;
}

void expect_unavailable(Backend& b, const SandboxPolicy& pol, Control c, const std::string& reason_part) {
  auto r = b.exec(pol, sh("true"));
  ASSERT_FALSE(r.has_value()) << "control " << to_string(c) << " should fail closed";
  EXPECT_EQ(r.error().code, ErrorCode::control_unavailable);
  EXPECT_EQ(r.error().context.at("control"), std::string(to_string(c))) << r.error().describe();
  EXPECT_NE(r.error().message.find(reason_part), std::string::npos) << r.error().describe();
}

TEST_F(FailClosed, NoUserNamespaces) {
  auto b = process::make_process_backend(without_userns());
  expect_unavailable(*b, quick_policy(), Control::ns_user, "max_user_namespaces");
}

TEST_F(FailClosed, LandlockAbiBelowTheMinimum) {
  HostInfo h = live_host();
  h.landlock_abi = 3;
  SandboxPolicy pol = quick_policy();
  pol.landlock.min_abi = 5;
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, pol, Control::landlock_fs, "ABI 3");
}

TEST_F(FailClosed, NoLandlockAtAll) {
  HostInfo h = live_host();
  h.landlock_abi = 0;
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::landlock_fs, "not available");
}

TEST_F(FailClosed, LandlockScopesNeedAbi6) {
  HostInfo h = live_host();
  h.landlock_abi = 5;
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::landlock_scopes, "ABI 6");
}

TEST_F(FailClosed, NoMemoryController) {
  HostInfo h = live_host();
  h.cgroups.limit_controllers.erase("memory");
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::cgroup_memory, "memory");
}

TEST_F(FailClosed, NoCgroupsAtAll) {
  HostInfo h = live_host();
  h.cgroups = CgroupInfo{};
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::cgroup_memory, "layout none");
}

TEST_F(FailClosed, ControllerThatCannotBeCreated) {
  HostInfo h = live_host();
  h.cgroups.layout = CgroupLayout::v1;
  h.cgroups.v2_mount.clear();
  h.cgroups.v1_mounts["pids"] = "/nonexistent/kavach-cgroup";
  h.cgroups.limit_controllers["pids"] = "v1";
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::cgroup_pids, "/nonexistent/kavach-cgroup");
}

// A CPU-time limit needs cgroup CPU accounting to hold for the tree; RLIMIT_CPU alone is per
// process, so without it the limit fails closed (negative control: resources_test.cpp runs the
// degraded case and shows the spinners outliving the limit).
TEST_F(FailClosed, CpuTimeLimitWithoutCgroupAccounting) {
  HostInfo h = live_host();
  h.cgroups.v2_mount.clear();
  h.cgroups.clone_into_cgroup = false;
  h.cgroups.cgroup_kill = false;
  h.cgroups.v1_mounts.erase("cpuacct");
  auto b = process::make_process_backend(h);
  SandboxPolicy pol = quick_policy();
  pol.limits.cpu_time_seconds = 1;
  expect_unavailable(*b, pol, Control::cpu_time, "RLIMIT_CPU alone");
}

TEST_F(FailClosed, NoSeccomp) {
  HostInfo h = live_host();
  h.seccomp_available = false;
  auto b = process::make_process_backend(h);
  expect_unavailable(*b, quick_policy(), Control::seccomp, "seccomp");
}

TEST_F(FailClosed, DegradedControlsRunAndAreReportedUnapplied) {
  HostInfo h = live_host();
  h.landlock_abi = 0;
  h.cgroups.limit_controllers.erase("memory");
  SandboxPolicy pol = quick_policy();
  pol.may_degrade = {Control::landlock_fs, Control::landlock_net, Control::landlock_scopes,
                     Control::cgroup_memory};
  auto b = process::make_process_backend(h);
  const ExecResult r = run_on(*b, pol, sh("echo ran"));
  EXPECT_EQ(r.stdout_data, "ran\n");
  for (Control c : {Control::landlock_fs, Control::cgroup_memory}) {
    const ControlStatus* st = r.enforcement.find(c);
    ASSERT_NE(st, nullptr);
    EXPECT_TRUE(st->requested);
    EXPECT_FALSE(st->applied);
    EXPECT_NE(st->detail.find("degraded"), std::string::npos) << st->detail;
  }
  EXPECT_TRUE(r.enforcement.applied(Control::seccomp));
  EXPECT_TRUE(r.enforcement.applied(Control::cgroup_pids));
}

TEST_F(FailClosed, V1OnlyLayoutStillLimitsAndKills) {
  HostInfo h = live_host();
  if (h.cgroups.v1_mounts.count("pids") == 0) GTEST_SKIP() << "no v1 pids hierarchy here";
  h.cgroups.layout = CgroupLayout::v1;
  h.cgroups.v2_mount.clear();
  h.cgroups.clone_into_cgroup = false;
  h.cgroups.cgroup_kill = false;
  auto b = process::make_process_backend(h);
  SandboxPolicy pol = quick_policy(Preset::strict, std::chrono::milliseconds(2'000));
  pol.limits.pids = 16;
  const ExecResult r = run_on(*b, pol, sh("for i in $(seq 30); do sleep 5 & done 2>/dev/null; wait"));
  EXPECT_TRUE(r.pids_limit_hit);
  EXPECT_EQ(r.backend_info.at("cgroup_placement"), "cgroup.procs");
}

// Negative control for the pid-namespace tests: without namespaces (a degraded host), host
// pids are visible and background processes outlive the run, which those tests would catch.
TEST_F(FailClosed, WithoutNamespacesTheHolesAreVisible) {
  HostInfo h = without_userns();
  h.cgroups = CgroupInfo{};
  SandboxPolicy pol = quick_policy(Preset::strict, std::chrono::milliseconds(5'000));
  pol.limits.memory_bytes.reset();
  pol.limits.cpu_cores.reset();
  pol.limits.pids.reset();
  pol.limits.cpu_time_seconds.reset();
  pol.may_degrade = {Control::ns_user, Control::ns_pid, Control::ns_mount, Control::ns_net, Control::ns_ipc,
                     Control::ns_uts, Control::ns_cgroup, Control::network, Control::readonly_root};
  auto b = process::make_process_backend(h);
  const std::string marker = "1001." + unique_token();
  const ExecResult r = run_on(*b, pol, sh("ls /proc | grep -cE '^[0-9]+$'; (setsid sleep " + marker + " &); echo started"));
  EXPECT_EQ(r.enforcement.applied(Control::ns_pid), false);
  std::istringstream in(r.stdout_data);
  int visible = 0;
  in >> visible;
  EXPECT_GT(visible, 5) << "host pids should be visible without a pid namespace";
  EXPECT_FALSE(processes_appearing_with("sleep " + marker).empty()) << "without a pid namespace the sleep survives";
  kill_processes_with("sleep " + marker);
}

}  // namespace
}  // namespace kavach::testing
