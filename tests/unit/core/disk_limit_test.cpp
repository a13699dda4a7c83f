// limits.disk_bytes (control `disk`) from policy files, the builder and the CLI to the score.
#include <gtest/gtest.h>

#include "kavach/config.hpp"
#include "kavach/policy.hpp"
#include "kavach/score.hpp"

namespace kavach {
namespace {

constexpr std::uint64_t MiB = 1u << 20;

TEST(DiskLimit, ParsesIntegersAndSizes) {
  auto a = parse_policy_toml("[limits]\ndisk_bytes = 8388608\n", "p.toml");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->limits.disk_bytes, 8 * MiB);
  auto b = parse_policy_toml("[limits]\ndisk_bytes = \"2G\"\n", "p.toml");
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->limits.disk_bytes, 2048 * MiB);
  auto none = parse_policy_toml("name = \"x\"\n", "p.toml");
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->limits.disk_bytes.has_value());
}

TEST(DiskLimit, WrongTypeAndTooSmallAreErrorsNamingTheKey) {
  auto t = parse_policy_toml("[limits]\ndisk_bytes = true\n", "p.toml");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::policy_type);
  EXPECT_EQ(t.error().context.at("key"), "limits.disk_bytes");
  auto small = parse_policy_toml("[limits]\ndisk_bytes = \"512K\"\n", "p.toml");
  ASSERT_FALSE(small.has_value());
  EXPECT_EQ(small.error().code, ErrorCode::policy_value);
  EXPECT_EQ(small.error().context.at("key"), "limits.disk_bytes");
  EXPECT_NE(small.error().message.find("512K is out of range [1048576, 1125899906842624] bytes"), std::string::npos)
      << small.error().message;
}

TEST(DiskLimit, EmittedAndParsedAgain) {
  SandboxPolicy p = preset_policy(Preset::agent);
  p.limits.disk_bytes = 3 * MiB;
  const std::string toml = policy_to_toml(p);
  EXPECT_NE(toml.find("disk_bytes = 3145728"), std::string::npos) << toml;
  auto again = parse_policy_toml(toml, "emitted.toml");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, p);
  EXPECT_EQ(policy_to_toml(preset_policy(Preset::agent)).find("disk_bytes"), std::string::npos)
      << "unset stays unset";
}

TEST(DiskLimit, ControlNameParses) {
  EXPECT_EQ(to_string(Control::disk), "disk");
  auto c = parse_control("disk");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, Control::disk);
  auto p = parse_policy_toml("may_degrade = [\"disk\"]\n", "p.toml");
  ASSERT_TRUE(p.has_value()) << p.error().message;
  EXPECT_TRUE(p->may_degrade.count(Control::disk));
}

// The agent preset must run on hosts without project quotas: no preset asks for a disk limit.
TEST(DiskLimit, NoPresetRequestsIt) {
  for (Preset p : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) {
    EXPECT_FALSE(preset_policy(p).limits.disk_bytes.has_value()) << to_string(p);
    const EnforcementReport report = requested_report(BackendKind::process, preset_policy(p));
    const ControlStatus* st = report.find(Control::disk);
    ASSERT_NE(st, nullptr);
    EXPECT_FALSE(st->requested) << to_string(p);
  }
}

TEST(DiskLimit, BuilderValidates) {
  auto ok = SandboxConfigBuilder().disk_limit(64 * MiB).build();
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->policy->limits.disk_bytes, 64 * MiB);
  auto bad = SandboxConfigBuilder().disk_limit(4096).build();
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
}

TEST(DiskLimit, ScoreCountsItOnlyWhenApplied) {
  EnforcementReport applied;
  applied.set(Control::disk, true, true, "8 MiB", {});
  EnforcementReport degraded;
  degraded.set(Control::disk, true, false, "degraded (allowed by policy): /w is on ext4 without project quotas");
  EnforcementReport unrequested;
  unrequested.set(Control::disk, false, false, "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)");
  const int with = compute_score(BackendKind::process, applied).value;
  const int without = compute_score(BackendKind::process, degraded).value;
  EXPECT_EQ(with, without + 1);
  EXPECT_EQ(compute_score(BackendKind::process, unrequested).value, without)
      << "an unrequested control changes nothing";
  bool gap = false;
  for (const auto& i : compute_score(BackendKind::process, degraded).breakdown) {
    gap = gap || i.label.find("not applied: disk") == 0;
  }
  EXPECT_TRUE(gap) << "the degraded control is shown with 0 points";
}

TEST(DiskLimit, RequestedScoreFollowsThePolicy) {
  SandboxPolicy p = preset_policy(Preset::agent);
  const int before = requested_score(BackendKind::process, p).value;
  p.limits.disk_bytes = 8 * MiB;
  EXPECT_EQ(requested_score(BackendKind::process, p).value, before + 1);
  EXPECT_EQ(requested_report(BackendKind::noop, p).find(Control::disk)->applied, false);
}

}  // namespace
}  // namespace kavach
