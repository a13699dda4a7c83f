// CLI parsing: flags shape the policy; bad values are precise errors.
#include <gtest/gtest.h>

#include "numeric_flag.hpp"
#include "policy_options.hpp"
#include "cli_harness.hpp"

namespace kavach::cli {
namespace {

Result<SandboxPolicy> parse(std::vector<std::string> args) { return parse_policy_flags(std::move(args)).policy; }

TEST(CliPolicyOptions, DefaultIsAgentPreset) {
  auto p = parse({});
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->name, "agent");
}

TEST(CliPolicyOptions, FlagsOverridePreset) {
  auto p = parse({"--preset", "strict", "--timeout-ms", "1500", "--memory-mb", "64", "--pids", "16",
                  "--network", "loopback", "--rw", "/tmp", "--ro", "/usr/share", "--env", "HOME"});
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->name, "strict");
  EXPECT_EQ(p->limits.wall_timeout.count(), 1500);
  EXPECT_EQ(p->limits.memory_bytes, 64u << 20);
  EXPECT_EQ(p->limits.pids, 16u);
  EXPECT_EQ(p->network.mode, NetworkMode::loopback);
  EXPECT_EQ(p->fs.workdir, std::filesystem::canonical("/tmp"));
  EXPECT_EQ(p->fs.readonly_paths.back(), "/usr/share");
  EXPECT_EQ(p->env_allow.back(), "HOME");
}

TEST(CliPolicyOptions, DiskMb) {
  auto p = parse({"--disk-mb", "512"});
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_EQ(p->limits.disk_bytes, 512ull << 20);
  EXPECT_FALSE(parse({}).value().limits.disk_bytes.has_value());
  auto zero = parse({"--disk-mb", "0"});
  ASSERT_FALSE(zero.has_value());
  EXPECT_NE(zero.error().message.find("--disk-mb"), std::string::npos);
  EXPECT_FALSE(parse({"--disk-mb", "9223372036854775807"}).has_value());
}

TEST(CliPolicyOptions, Errors) {
  EXPECT_EQ(parse({"--preset", "paranoid"}).error().code, ErrorCode::unknown_preset);
  EXPECT_EQ(parse({"--network", "internet"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parse({"--rw", "/no/such/dir/kavach"}).error().code, ErrorCode::path_not_found);
  EXPECT_EQ(parse({"--timeout-ms", "0"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parse({"--memory-mb", "1"}).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parse({"--env", "=B"}).error().code, ErrorCode::invalid_argument);  // NAME=VALUE sets a variable
  EXPECT_EQ(parse({"--policy", "/no/such/policy.toml"}).error().code, ErrorCode::path_not_found);
  EXPECT_EQ(parse({"--rw", "/etc/hostname"}).error().code, ErrorCode::invalid_argument);
}

TEST(CliPolicyOptions, OneHelperDerivesEachFlagFromItsPolicyField) {
  EXPECT_EQ(kMemoryMbFlag.range.min * kMemoryMbFlag.per_unit, ranges::memory.min);
  EXPECT_EQ(kMemoryMbFlag.range.max * kMemoryMbFlag.per_unit, ranges::memory.max);
  EXPECT_EQ(kTimeoutMsFlag.range.max, ranges::wall_timeout.max);
  EXPECT_EQ(kPidsFlag.range.max, ranges::pids.max);
  auto bytes = parse_numeric_flag(kMemoryMbFlag, "64");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, 64ull << 20);
}

}  // namespace
}  // namespace kavach::cli
