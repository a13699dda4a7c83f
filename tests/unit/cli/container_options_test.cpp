// CLI flags of the container backends: --runtime, --rootfs, --image PATH[:TAG]; and `--rw DIR`
// taking one value, so `-- cmd -c ...` stays the command.
#include <gtest/gtest.h>

#include "policy_options.hpp"
#include "cli_harness.hpp"

namespace kavach::cli {
namespace {

ParsedPolicy parse(std::vector<std::string> args) { return parse_policy_flags(std::move(args)); }

TEST(CliContainerOptions, RuntimeRootfsAndImage) {
  auto p = parse({"--runtime", "runc", "--rootfs", "/usr/.."});
  ASSERT_TRUE(p.policy.has_value()) << p.policy.error().message;
  EXPECT_EQ(p.policy->oci.runtime, "runc");
  EXPECT_EQ(p.policy->oci.rootfs, std::filesystem::path("/"));
  auto img = parse({"--image", "/:v2"});
  ASSERT_TRUE(img.policy.has_value()) << img.policy.error().message;
  EXPECT_EQ(img.policy->oci.image, std::filesystem::path("/"));
  EXPECT_EQ(img.policy->oci.image_tag, "v2");
  auto bad = parse({"--runtime", "docker"});
  EXPECT_FALSE(bad.policy.has_value());
  auto missing = parse({"--rootfs", "/nonexistent/kavach-root"});
  ASSERT_FALSE(missing.policy.has_value());
  EXPECT_EQ(missing.policy.error().code, ErrorCode::path_not_found);
}

TEST(CliContainerOptions, RepeatableOptionsTakeOneValueEach) {
  auto p = parse({"--rw", "/tmp", "--", "/bin/sh", "-c", "echo hi"});
  ASSERT_TRUE(p.policy.has_value()) << p.policy.error().message;
  EXPECT_EQ(p.policy->fs.writable_paths.size(), 1u);
  EXPECT_EQ(p.command, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
}

}  // namespace
}  // namespace kavach::cli
