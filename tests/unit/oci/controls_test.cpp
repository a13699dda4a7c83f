// OCI control planning with an injected host: the gVisor pids share never pushes pids.max past
// what the kernel takes (PID_MAX_LIMIT, the policy's maximum).
#include <gtest/gtest.h>

#include "backends/oci/controls.hpp"
#include "kavach/policy_ranges.hpp"

namespace kavach::oci {
namespace {

HostInfo root_host() {
  HostInfo h;
  h.is_root = true;
  h.user_namespaces = true;
  h.seccomp_available = true;
  h.cgroups.layout = CgroupLayout::v2;
  h.cgroups.limit_controllers = {{"memory", "v2"}, {"cpu", "v2"}, {"pids", "v2"}};
  return h;
}

std::uint64_t planned_extra(std::uint64_t pids) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits.pids = pids;
  p.limits.cpu_time_seconds.reset();  // needs cgroup CPU accounting this injected host lacks
  RuntimeChoice rt;
  rt.flavor = RuntimeFlavor::runsc;
  rt.name = "runsc";
  auto c = plan_oci_controls(BackendKind::gvisor, root_host(), p, rt);
  EXPECT_TRUE(c.has_value()) << c.error().message;
  return c ? c->extra_pids : ~0ull;
}

TEST(OciControls, GvisorPidsShareStaysWithinTheKernelMaximum) {
  EXPECT_EQ(planned_extra(128), kGvisorPidsOverhead);
  EXPECT_EQ(planned_extra(ranges::kPidMaxLimit - 10), 10u);
  EXPECT_EQ(planned_extra(ranges::kPidMaxLimit), 0u);
}

// The host's pids.max counts the sentry's threads, not the application's tasks: the sentry
// itself caps those (RLIMIT_NPROC), at the policy's pids or its nproc when that is lower.
TEST(OciControls, GvisorCapsTheApplicationsTasksInTheSentry) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits.cpu_time_seconds.reset();
  p.limits.pids = 100;
  p.limits.nproc.reset();
  RuntimeChoice rt;
  rt.flavor = RuntimeFlavor::runsc;
  rt.name = "runsc";
  auto c = plan_oci_controls(BackendKind::gvisor, root_host(), p, rt);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->guest_nproc, std::optional<std::uint64_t>(100));
  EXPECT_NE(c->report.find(Control::cgroup_pids)->detail.find("capped at 100 by the sentry"), std::string::npos);
  p.limits.nproc = 40;
  c = plan_oci_controls(BackendKind::gvisor, root_host(), p, rt);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->guest_nproc, std::optional<std::uint64_t>(40));
  rt.flavor = RuntimeFlavor::runc;  // runc: the application's tasks are the cgroup's own
  rt.name = "runc";
  c = plan_oci_controls(BackendKind::oci, root_host(), p, rt);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_FALSE(c->guest_nproc.has_value());
}

Result<OciControls> plan_network(BackendKind kind, NetworkMode mode) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits.cpu_time_seconds.reset();
  p.network.mode = mode;
  if (mode == NetworkMode::allowlist) p.network.allow = {{"pypi.org", 443}};
  RuntimeChoice rt;
  rt.flavor = kind == BackendKind::gvisor ? RuntimeFlavor::runsc : RuntimeFlavor::runc;
  rt.name = kind == BackendKind::gvisor ? "runsc" : "runc";
  return plan_oci_controls(kind, root_host(), p, rt);
}

// The network view rendered for runc: allowlist joins kavach's namespace, host has none.
TEST(OciControls, NetworkModesForRunc) {
  auto allow = plan_network(BackendKind::oci, NetworkMode::allowlist);
  ASSERT_TRUE(allow.has_value()) << allow.error().message;
  EXPECT_TRUE(allow->network_namespace);
  EXPECT_TRUE(allow->egress_netns);
  EXPECT_TRUE(allow->report.applied(Control::egress_proxy));
  EXPECT_TRUE(allow->report.applied(Control::dns_policy));
  auto host = plan_network(BackendKind::oci, NetworkMode::host);
  ASSERT_TRUE(host.has_value()) << host.error().message;
  EXPECT_FALSE(host->network_namespace);
  EXPECT_FALSE(host->egress_netns);
  EXPECT_EQ(host->report.find(Control::network)->mode, "host");
  auto off = plan_network(BackendKind::oci, NetworkMode::off);
  ASSERT_TRUE(off.has_value());
  EXPECT_TRUE(off->network_namespace);
  EXPECT_FALSE(off->egress_netns);
}

// runsc: allowlist through kavach-egress-bridge (no namespace of kavach's to join); the host's
// network fails closed with the reason.
TEST(OciControls, GvisorBridgesAllowlistAndRefusesHostNetwork) {
  auto allow = plan_network(BackendKind::gvisor, NetworkMode::allowlist);
  ASSERT_TRUE(allow.has_value()) << allow.error().message;
  EXPECT_TRUE(allow->egress_bridge);
  EXPECT_FALSE(allow->egress_netns);
  EXPECT_TRUE(allow->network_namespace);
  EXPECT_TRUE(allow->report.applied(Control::egress_proxy));
  EXPECT_NE(allow->report.find(Control::egress_proxy)->detail.find("kavach-egress-bridge"), std::string::npos);
  auto runc = plan_network(BackendKind::oci, NetworkMode::allowlist);
  ASSERT_TRUE(runc.has_value());
  EXPECT_FALSE(runc->egress_bridge);
  auto host = plan_network(BackendKind::gvisor, NetworkMode::host);
  ASSERT_FALSE(host.has_value());
  EXPECT_EQ(host.error().code, ErrorCode::control_unavailable);
  EXPECT_NE(host.error().message.find("runsc"), std::string::npos) << host.error().message;
}

}  // namespace
}  // namespace kavach::oci
