// Runtime choice from the host probe and the policy, with an injected host.
#include <gtest/gtest.h>

#include "backends/oci/runtime.hpp"

namespace kavach::oci {
namespace {

HostInfo host(CgroupLayout layout, std::set<std::string> v2_controllers, std::set<std::string> runtimes) {
  HostInfo h;
  h.cgroups.layout = layout;
  h.cgroups.v2_mount = layout == CgroupLayout::v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  h.cgroups.v2_controllers = std::move(v2_controllers);
  for (const auto& r : runtimes) h.runtimes[r] = "/nonexistent/bin/" + r;
  return h;
}

TEST(OciRuntime, AutoPrefersCrunWhereItRuns) {
  auto r = choose_runtime(BackendKind::oci, host(CgroupLayout::v2, {"memory", "pids"}, {"crun", "runc"}), {}, "");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->name, "crun");
  EXPECT_TRUE(r->note.empty());
}

TEST(OciRuntime, HybridHostWithV2ControllersFallsBackToRuncAndSaysWhy) {
  const HostInfo h = host(CgroupLayout::hybrid, {"hugetlb"}, {"crun", "runc"});
  ASSERT_TRUE(crun_refusal(h).has_value());
  auto r = choose_runtime(BackendKind::oci, h, {}, "");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "runc");
  EXPECT_NE(r->note.find("hybrid"), std::string::npos) << r->note;
  // A hybrid host whose unified tree offers no controller is fine for crun.
  EXPECT_FALSE(crun_refusal(host(CgroupLayout::hybrid, {}, {"crun"})).has_value());
}

TEST(OciRuntime, ExplicitCrunOnHybridFailsUnlessFallbackAllowed) {
  const HostInfo h = host(CgroupLayout::hybrid, {"hugetlb"}, {"crun", "runc"});
  OciPolicy p;
  p.runtime = "crun";
  auto r = choose_runtime(BackendKind::oci, h, p, "");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::backend_unavailable);
  EXPECT_NE(r.error().message.find("allow_runtime_fallback"), std::string::npos);
  p.allow_runtime_fallback = true;
  auto fb = choose_runtime(BackendKind::oci, h, p, "");
  ASSERT_TRUE(fb.has_value());
  EXPECT_EQ(fb->name, "runc");
  EXPECT_NE(fb->note.find("fell back"), std::string::npos);
}

TEST(OciRuntime, OverrideWinsOverPolicy) {
  OciPolicy p;
  p.runtime = "crun";
  auto r = choose_runtime(BackendKind::oci, host(CgroupLayout::v2, {}, {"crun", "runc"}), p, "runc");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->name, "runc");
}

TEST(OciRuntime, MissingBinariesNameTheDebianPackage) {
  auto none = choose_runtime(BackendKind::oci, host(CgroupLayout::v2, {}, {}), {}, "");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::runtime_missing);
  EXPECT_NE(none.error().message.find("apt-get install runc"), std::string::npos);
  OciPolicy p;
  p.runtime = "runc";
  auto runc = choose_runtime(BackendKind::oci, host(CgroupLayout::v2, {}, {"crun"}), p, "");
  ASSERT_FALSE(runc.has_value());
  EXPECT_EQ(runc.error().context.at("package"), "runc");
  auto gvisor = choose_runtime(BackendKind::gvisor, host(CgroupLayout::v2, {}, {"runc"}), {}, "");
  ASSERT_FALSE(gvisor.has_value());
  EXPECT_EQ(gvisor.error().code, ErrorCode::runtime_missing);
  EXPECT_NE(gvisor.error().message.find("apt-get install runsc"), std::string::npos);
}

TEST(OciRuntime, RuntimesBelongToTheirBackend) {
  OciPolicy p;
  p.runtime = "runsc";
  auto r = choose_runtime(BackendKind::oci, host(CgroupLayout::v2, {}, {"runsc", "runc"}), p, "");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  p.runtime = "runc";
  auto g = choose_runtime(BackendKind::gvisor, host(CgroupLayout::v2, {}, {"runsc", "runc"}), p, "");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code, ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace kavach::oci
