// The [oci] policy section: parse, validate, emit, round-trip.
#include <gtest/gtest.h>

#include "kavach/policy.hpp"

namespace kavach {
namespace {

TEST(PolicyOci, ParsesEveryKey) {
  auto r = parse_policy_toml(
      "[oci]\nruntime = \"runc\"\nallow_runtime_fallback = true\nrootfs = \"/usr/..\"\n"
      "gvisor_platform = \"ptrace\"\n",
      "p.toml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->oci.runtime, "runc");
  EXPECT_TRUE(r->oci.allow_runtime_fallback);
  EXPECT_EQ(r->oci.rootfs, std::filesystem::path("/"));
  EXPECT_EQ(r->oci.gvisor_platform, "ptrace");
}

TEST(PolicyOci, UnknownRuntimeIsAValueError) {
  auto r = parse_policy_toml("[oci]\nruntime = \"docker\"\n", "p.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::policy_value);
  EXPECT_EQ(r.error().context.at("key"), "oci.runtime");
  EXPECT_NE(r.error().message.find("crun, runc, runsc"), std::string::npos) << r.error().message;
}

TEST(PolicyOci, UnknownKeyNamesThePath) {
  auto r = parse_policy_toml("[oci]\nruntim = \"runc\"\n", "p.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::policy_unknown_key);
  EXPECT_EQ(r.error().context.at("key"), "oci.runtim");
}

TEST(PolicyOci, RootfsMustBeAbsoluteAndExist) {
  auto rel = parse_policy_toml("[oci]\nrootfs = \"rootfs\"\n", "p.toml");
  ASSERT_FALSE(rel.has_value());
  EXPECT_EQ(rel.error().code, ErrorCode::path_not_absolute);
  auto missing = parse_policy_toml("[oci]\nrootfs = \"/nonexistent/kavach-rootfs\"\n", "p.toml");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::path_not_found);
  EXPECT_EQ(missing.error().context.at("key"), "oci.rootfs");
}

TEST(PolicyOci, RootfsAndImageAreAlternatives) {
  auto r = parse_policy_toml("[oci]\nrootfs = \"/\"\nimage = \"/\"\n", "p.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::policy_value);
}

TEST(PolicyOci, BadPlatform) {
  auto r = parse_policy_toml("[oci]\ngvisor_platform = \"systrap\"\n", "p.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::policy_value);
}

TEST(PolicyOci, EmittedSectionRoundTrips) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.oci.runtime = "runsc";
  p.oci.allow_runtime_fallback = true;
  p.oci.image = "/";
  p.oci.image_tag = "v1";
  p.oci.gvisor_platform = "kvm";
  auto again = parse_policy_toml(policy_to_toml(p), "emitted.toml");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->oci, p.oci);
  EXPECT_EQ(*again, p);
}

}  // namespace
}  // namespace kavach
