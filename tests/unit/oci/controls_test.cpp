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

}  // namespace
}  // namespace kavach::oci
