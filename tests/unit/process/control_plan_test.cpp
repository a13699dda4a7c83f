// Fail-closed decisions of the process backend, from injected host descriptions.
#include "backends/process/control_plan.hpp"

#include <gtest/gtest.h>

#include "kavach/network.hpp"
#include "support/hosts.hpp"

namespace kavach::process {
namespace {

using test::full_host;

IdentityOptions root_caller() { return IdentityOptions{}; }

SandboxPolicy strict() { return preset_policy(Preset::strict); }

TEST(ControlPlan, FullHostAppliesEverythingRequested) {
  auto plan = plan_controls(full_host(), strict(), root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  for (const auto& c : plan->report.controls()) {
    EXPECT_EQ(c.requested, c.applied) << to_string(c.control);
  }
  EXPECT_TRUE(plan->userns && plan->pidns && plan->mntns && plan->netns && plan->ipcns && plan->utsns);
  EXPECT_EQ(plan->report.find(Control::seccomp)->mode, "strict");
  EXPECT_EQ(plan->report.find(Control::network)->mode, "off");
}

TEST(ControlPlan, RootCallerMapsToTheDedicatedHostIdAndIdmapsWritablePaths) {
  auto plan = plan_controls(full_host(), strict(), root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->inside_uid, 0u);
  EXPECT_EQ(plan->host_uid, IdentityOptions{}.sandbox_host_uid);
  EXPECT_NE(plan->host_uid, 0u);
  EXPECT_FALSE(plan->deny_setgroups);
  EXPECT_TRUE(plan->idmap_writable);
}

TEST(ControlPlan, UnprivilegedCallerMapsToItself) {
  IdentityOptions ids;
  ids.caller_uid = 1000;
  ids.caller_gid = 1000;
  HostInfo h = full_host();
  h.is_root = false;
  auto plan = plan_controls(h, strict(), ids);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->host_uid, 1000u);
  EXPECT_TRUE(plan->deny_setgroups);
  EXPECT_FALSE(plan->idmap_writable);
}

TEST(ControlPlan, NoUserNamespaceFailsClosedNamingTheControl) {
  HostInfo h = full_host();
  h.user_namespaces = false;
  h.userns_reason = "sysctl user.max_user_namespaces = 0";
  h.is_root = false;
  auto plan = plan_controls(h, strict(), root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::control_unavailable);
  EXPECT_EQ(plan.error().context.at("control"), "ns_user");
  EXPECT_NE(plan.error().message.find("max_user_namespaces"), std::string::npos);
}

TEST(ControlPlan, DegradingTheUserNamespaceStillNeedsTheOthers) {
  HostInfo h = full_host();
  h.user_namespaces = false;
  h.is_root = false;
  SandboxPolicy p = strict();
  p.may_degrade = {Control::ns_user};
  auto plan = plan_controls(h, p, IdentityOptions{1000, 1000});
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().context.at("control"), "ns_pid");
}

TEST(ControlPlan, RootWithoutUserNamespacesKeepsTheOtherNamespaces) {
  HostInfo h = full_host();
  h.user_namespaces = false;
  SandboxPolicy p = strict();
  p.may_degrade = {Control::ns_user};
  auto plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_FALSE(plan->userns);
  EXPECT_TRUE(plan->pidns && plan->mntns && plan->netns);
  EXPECT_FALSE(plan->report.applied(Control::ns_user));
  EXPECT_TRUE(plan->report.find(Control::ns_user)->requested);
  // Without a user namespace the child switches to the unprivileged host id itself.
  EXPECT_EQ(plan->inside_uid, IdentityOptions{}.sandbox_host_uid);
  EXPECT_TRUE(plan->report.applied(Control::unprivileged_uid));
}

TEST(ControlPlan, LandlockAbiNegotiation) {
  HostInfo h = full_host();
  h.landlock_abi = 4;
  SandboxPolicy p = strict();
  auto plan = plan_controls(h, p, root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().context.at("control"), "landlock_scopes");
  p.may_degrade = {Control::landlock_scopes};
  plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->report.applied(Control::landlock_fs));
  EXPECT_TRUE(plan->report.applied(Control::landlock_net));
  EXPECT_FALSE(plan->report.applied(Control::landlock_scopes));
  EXPECT_FALSE(plan->landlock_policy.scope_signals);
  EXPECT_TRUE(plan->landlock);
}

TEST(ControlPlan, LandlockBelowMinAbiAppliesWhatExistsWhenDegraded) {
  HostInfo h = full_host();
  h.landlock_abi = 2;
  SandboxPolicy p = strict();
  p.landlock.min_abi = 3;
  p.landlock.restrict_tcp = false;
  p.landlock.scope_signals = p.landlock.scope_abstract_unix = false;
  auto plan = plan_controls(h, p, root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_NE(plan.error().message.find("below policy.landlock.min_abi 3"), std::string::npos);
  EXPECT_EQ(plan.error().message.find("applied instead"), std::string::npos)
      << "a run that fails closed applies nothing: " << plan.error().message;
  EXPECT_EQ(plan.error().message.find("anyway"), std::string::npos) << plan.error().message;
  p.may_degrade = {Control::landlock_fs};
  plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->report.applied(Control::landlock_fs));
  EXPECT_NE(plan->report.find(Control::landlock_fs)->detail.find("ABI 2 are applied instead"), std::string::npos)
      << plan->report.find(Control::landlock_fs)->detail;
  EXPECT_TRUE(plan->landlock) << "the host's ABI 2 rules still apply";
  EXPECT_EQ(plan->landlock_policy.min_abi, 2);
}

TEST(ControlPlan, MissingCgroupControllerFailsClosed) {
  HostInfo h = full_host();
  h.cgroups.limit_controllers.erase("pids");
  auto plan = plan_controls(h, strict(), root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().context.at("control"), "cgroup_pids");
  SandboxPolicy p = strict();
  p.limits.pids.reset();
  plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value()) << "a limit that is not requested needs no controller";
  EXPECT_FALSE(plan->report.find(Control::cgroup_pids)->requested);
}

// The strict preset sets cpu_time_seconds; a host with no cgroup CPU accounting could only
// limit each process (RLIMIT_CPU), not the tree.
TEST(ControlPlan, CpuTimeLimitWithoutTreeAccountingFailsClosed) {
  HostInfo h = full_host();
  h.cgroups.v2_mount.clear();
  h.cgroups.clone_into_cgroup = false;
  h.cgroups.layout = CgroupLayout::v1;
  h.cgroups.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"}, {"pids", "/sys/fs/cgroup/pids"},
                         {"cpu", "/sys/fs/cgroup/cpu"}};
  h.cgroups.limit_controllers = {{"memory", "v1"}, {"cpu", "v1"}, {"pids", "v1"}};
  auto plan = plan_controls(h, strict(), root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::control_unavailable);
  EXPECT_EQ(plan.error().context.at("control"), "cpu_time");
  EXPECT_NE(plan.error().message.find("RLIMIT_CPU alone"), std::string::npos) << plan.error().message;
  SandboxPolicy p = strict();
  p.may_degrade = {Control::cpu_time};
  plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_FALSE(plan->cpu_time_tree);
  EXPECT_TRUE(plan->report.find(Control::cpu_time)->requested);
  EXPECT_FALSE(plan->report.applied(Control::cpu_time));
  // A v1 cpuacct hierarchy is enough.
  h.cgroups.v1_mounts["cpuacct"] = "/sys/fs/cgroup/cpuacct";
  plan = plan_controls(h, strict(), root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_TRUE(plan->cpu_time_tree);
  p.limits.cpu_time_seconds.reset();
  plan = plan_controls(h, p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->report.find(Control::cpu_time)->requested);
}

TEST(ControlPlan, AllowlistIsANamespaceWithLoopbackAndTheProxysListener) {
  SandboxPolicy p = strict();
  p.network.mode = NetworkMode::allowlist;
  p.network.allow = {{"pypi.org", 443}};
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_TRUE(plan->netns);
  EXPECT_TRUE(plan->loopback_up);
  EXPECT_TRUE(plan->egress_listener);
  for (Control c : {Control::ns_net, Control::network, Control::egress_proxy, Control::dns_policy}) {
    EXPECT_TRUE(plan->report.applied(c)) << to_string(c);
  }
  EXPECT_EQ(plan->report.find(Control::network)->mode, "allowlist");
  EXPECT_NE(plan->report.find(Control::egress_proxy)->detail.find("pypi.org:443"), std::string::npos);
}

TEST(ControlPlan, WithoutNamespacesAnAllowlistFailsClosed) {
  SandboxPolicy p = strict();
  p.network.mode = NetworkMode::allowlist;
  p.network.allow = {{"pypi.org", 443}};
  HostInfo h = full_host();
  h.user_namespaces = false;
  h.is_root = false;
  auto plan = plan_controls(h, p, IdentityOptions{1000, 1000});
  ASSERT_FALSE(plan.has_value());
}

TEST(ControlPlan, HostModeSharesTheHostsNetworkAndSaysSo) {
  SandboxPolicy p = strict();
  p.network.mode = NetworkMode::host;
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().message;
  EXPECT_FALSE(plan->netns);
  EXPECT_FALSE(plan->egress_listener);
  EXPECT_FALSE(plan->report.find(Control::ns_net)->requested);
  EXPECT_TRUE(plan->report.applied(Control::network));
  EXPECT_EQ(plan->report.find(Control::network)->mode, "host");
}

// Landlock's TCP rules with empty port lists would deny every TCP bind and connect: in the modes
// with a network that is not what the mode means, so they apply only when ports are listed.
TEST(ControlPlan, LoopbackTcpIsOpenUnlessThePolicyListsPorts) {
  SandboxPolicy p = strict();
  ASSERT_TRUE(p.landlock.restrict_tcp);
  p.network.mode = NetworkMode::loopback;
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->landlock_policy.restrict_tcp);
  EXPECT_FALSE(plan->report.find(Control::landlock_net)->requested);
  EXPECT_NE(plan->report.find(Control::landlock_net)->detail.find("no TCP ports listed"), std::string::npos);
  p.landlock.tcp_bind = {8000};
  plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->landlock_policy.restrict_tcp);
  EXPECT_EQ(plan->landlock_policy.tcp_bind, (std::vector<std::uint16_t>{8000}));
  // Network off keeps the deny-all rules: there is nothing to reach anyway.
  p = strict();
  plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->landlock_policy.restrict_tcp);
}

TEST(ControlPlan, AnAllowlistWithPortRulesMayStillReachItsProxy) {
  SandboxPolicy p = strict();
  p.network.mode = NetworkMode::allowlist;
  p.network.allow = {{"pypi.org", std::nullopt}};
  p.landlock.tcp_connect = {5432};
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->landlock_policy.tcp_connect, (std::vector<std::uint16_t>{5432, kEgressProxyPort}));
}

TEST(ControlPlan, LoopbackModeBringsLoUp) {
  SandboxPolicy p = strict();
  p.network.mode = NetworkMode::loopback;
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_TRUE(plan->loopback_up);
  EXPECT_EQ(plan->report.find(Control::network)->mode, "loopback");
}

TEST(ControlPlan, SandboxUserMappedToHostRootIsRefused) {
  IdentityOptions ids;
  ids.sandbox_host_uid = 0;
  auto plan = plan_controls(full_host(), strict(), ids);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().context.at("control"), "unprivileged_uid");
}

TEST(ControlPlan, NotRequestedControlsAreMarkedSo) {
  SandboxPolicy p = preset_policy(Preset::minimal);
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  EXPECT_FALSE(plan->report.find(Control::seccomp)->requested);
  // No policy filter, but the host-safety filter is installed under every policy.
  EXPECT_TRUE(plan->seccomp);
  EXPECT_TRUE(plan->report.find(Control::host_safety)->requested);
  EXPECT_TRUE(plan->report.find(Control::host_safety)->applied);
  EXPECT_FALSE(plan->report.find(Control::landlock_fs)->requested);
  EXPECT_FALSE(plan->landlock);
}


TEST(ControlPlan, DiskLimitIsPlannedForRootWithAUserNamespace) {
  SandboxPolicy p = strict();
  p.limits.disk_bytes = 8u << 20;
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_TRUE(plan->disk_quota);
  EXPECT_TRUE(plan->report.find(Control::disk)->requested);
}

TEST(ControlPlan, DiskLimitWithoutRootFailsClosedOrDegrades) {
  IdentityOptions ids;
  ids.caller_uid = 1000;
  ids.caller_gid = 1000;
  SandboxPolicy p = strict();
  p.limits.disk_bytes = 8u << 20;
  auto plan = plan_controls(full_host(), p, ids);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::control_unavailable);
  EXPECT_EQ(plan.error().context.at("control"), "disk");
  EXPECT_NE(plan.error().message.find("needs root"), std::string::npos) << plan.error().message;
  p.may_degrade.insert(Control::disk);
  plan = plan_controls(full_host(), p, ids);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_FALSE(plan->disk_quota);
  const ControlStatus* st = plan->report.find(Control::disk);
  EXPECT_TRUE(st->requested);
  EXPECT_FALSE(st->applied);
  EXPECT_NE(st->detail.find("degraded"), std::string::npos) << st->detail;
}

TEST(ControlPlan, DiskLimitWithoutAUserNamespaceFailsClosed) {
  HostInfo h = full_host();
  h.user_namespaces = false;
  SandboxPolicy p = strict();
  p.limits.disk_bytes = 8u << 20;
  p.may_degrade = {Control::ns_user};
  auto plan = plan_controls(h, p, root_caller());
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().context.at("control"), "disk");
}

TEST(ControlPlan, UnrequestedDiskLimitSaysWritesAreUnbounded) {
  SandboxPolicy p = preset_policy(Preset::agent);
  p.fs.writable_paths = {"/tmp"};
  auto plan = plan_controls(full_host(), p, root_caller());
  ASSERT_TRUE(plan.has_value());
  const ControlStatus* st = plan->report.find(Control::disk);
  ASSERT_NE(st, nullptr);
  EXPECT_FALSE(st->requested);
  EXPECT_FALSE(st->applied);
  EXPECT_EQ(st->detail, "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)");
  EXPECT_FALSE(plan->disk_quota);
}

}  // namespace
}  // namespace kavach::process
