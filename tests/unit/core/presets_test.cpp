#include <gtest/gtest.h>

#include "kavach/policy.hpp"

namespace kavach {
namespace {

TEST(Presets, ParseNamesAndRejectUnknown) {
  EXPECT_EQ(*parse_preset("strict"), Preset::strict);
  EXPECT_EQ(*parse_preset("agent"), Preset::agent);
  auto bad = parse_preset("Strict");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::unknown_preset);
}

TEST(Presets, EveryPresetValidates) {
  for (Preset p : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) {
    auto v = validate_policy(preset_policy(p));
    EXPECT_TRUE(v.has_value()) << to_string(p) << ": " << (v ? "" : v.error().message);
  }
}

// ValidPolicy's default and preset constructors skip the check: these are why they may.
TEST(Presets, DefaultPolicyValidates) {
  auto v = validate_policy(SandboxPolicy{});
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message);
}

TEST(Presets, StrengthIncreasesFromMinimalToStrict) {
  const auto minimal = preset_policy(Preset::minimal);
  const auto basic = preset_policy(Preset::basic);
  const auto strict = preset_policy(Preset::strict);
  EXPECT_EQ(minimal.seccomp.mode, SeccompMode::none);
  EXPECT_EQ(basic.seccomp.mode, SeccompMode::basic);
  EXPECT_EQ(strict.seccomp.mode, SeccompMode::strict);
  EXPECT_FALSE(minimal.landlock.enabled);
  EXPECT_TRUE(strict.landlock.enabled);
  EXPECT_TRUE(strict.limits.memory_bytes && strict.limits.pids && strict.limits.cpu_cores);
  for (const auto* p : {&minimal, &basic, &strict}) {
    EXPECT_EQ(p->network.mode, NetworkMode::off);
    EXPECT_TRUE(p->fs.readonly_root);
    EXPECT_TRUE(p->fs.writable_paths.empty());
    EXPECT_TRUE(p->keep_capabilities.empty());
    EXPECT_TRUE(p->may_degrade.empty()) << "presets fail closed";
  }
}

TEST(Presets, AgentProtectsPersistencePaths) {
  const auto agent = preset_policy(Preset::agent);
  EXPECT_EQ(agent.seccomp.mode, SeccompMode::strict);
  EXPECT_EQ(agent.network.mode, NetworkMode::off);
  for (const char* must : {".git/hooks", ".bashrc", ".profile", ".zshrc", ".ssh"}) {
    bool found = false;
    for (const auto& p : agent.fs.protected_paths) found = found || p == must;
    EXPECT_TRUE(found) << must;
  }
}

TEST(Presets, SystemDirsAreReadOnlyAndExist) {
  for (const auto& d : preset_policy(Preset::strict).fs.readonly_paths) {
    EXPECT_TRUE(d.is_absolute());
    EXPECT_TRUE(std::filesystem::exists(d)) << d;
  }
}

}  // namespace
}  // namespace kavach
