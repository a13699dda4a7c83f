#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kavach/config.hpp"
#include "kavach/policy_ranges.hpp"

namespace kavach {
namespace {

TEST(Builder, DefaultsToAgentOnProcess) {
  auto c = SandboxConfigBuilder().build();
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->backend, BackendKind::process);
  EXPECT_EQ(c->policy->name, "agent");
}

TEST(Builder, KeepsFirstError) {
  auto c = SandboxConfigBuilder()
               .backend("qemu-magic")
               .preset("nonexistent")
               .timeout(std::chrono::milliseconds(-1))
               .build();
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::unknown_backend);
  EXPECT_NE(c.error().message.find("process, gvisor, firecracker"), std::string::npos);
}

TEST(Builder, EachSetterValidates) {
  struct Case {
    const char* name;
    std::function<void(SandboxConfigBuilder&)> apply;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"preset", [](auto& b) { b.preset("x"); }, ErrorCode::unknown_preset},
      {"timeout", [](auto& b) { b.timeout(std::chrono::milliseconds(0)); }, ErrorCode::invalid_argument},
      {"memory", [](auto& b) { b.memory_limit(1024); }, ErrorCode::invalid_argument},
      {"cpu", [](auto& b) { b.cpu_limit(0.0); }, ErrorCode::invalid_argument},
      {"pids", [](auto& b) { b.pids_limit(0); }, ErrorCode::invalid_argument},
      {"output", [](auto& b) { b.output_limit(0); }, ErrorCode::invalid_argument},
      {"writable", [](auto& b) { b.writable("relative/dir"); }, ErrorCode::path_not_absolute},
      {"readonly", [](auto& b) { b.readonly("rel"); }, ErrorCode::path_not_absolute},
      {"env", [](auto& b) { b.allow_env("A=B"); }, ErrorCode::invalid_argument},
      {"hook", [](auto& b) { b.hook(nullptr); }, ErrorCode::invalid_argument},
      {"policy_file", [](auto& b) { b.policy_file("/no/such/policy.toml"); }, ErrorCode::path_not_found},
      {"missing writable", [](auto& b) { b.writable("/no/such/dir/kavach"); }, ErrorCode::path_not_found},
  };
  for (const auto& c : cases) {
    SandboxConfigBuilder b;
    c.apply(b);
    auto r = b.build();
    ASSERT_FALSE(r.has_value()) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
  }
}

TEST(Builder, AppliesSettings) {
  auto c = SandboxConfigBuilder()
               .preset(Preset::strict)
               .backend(BackendKind::noop)
               .memory_limit(64u << 20)
               .pids_limit(32)
               .network(NetworkMode::loopback)
               .writable("/tmp")
               .allow_degrade(Control::cgroup_cpu)
               .build();
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->backend, BackendKind::noop);
  EXPECT_EQ(c->policy->limits.memory_bytes, 64u << 20);
  EXPECT_EQ(c->policy->limits.pids, 32u);
  EXPECT_EQ(c->policy->network.mode, NetworkMode::loopback);
  EXPECT_EQ(c->policy->fs.writable_paths.back(), "/tmp");
  EXPECT_TRUE(c->policy->may_degrade.count(Control::cgroup_cpu));
}

TEST(Builder, NumericSettersRejectValuesOutsideThePolicyRanges) {
  using std::chrono::milliseconds;
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* setter;
    std::function<void(SandboxConfigBuilder&)> apply;
    const NumericRange& range;
  };
  const std::vector<Case> cases = {
      {"timeout", [](auto& b) { b.timeout(milliseconds(-1)); }, ranges::wall_timeout},
      {"timeout", [](auto& b) { b.timeout(milliseconds(ranges::wall_timeout.max + 1)); }, ranges::wall_timeout},
      {"timeout", [](auto& b) { b.timeout(milliseconds(9'223'372'036'854'775)); }, ranges::wall_timeout},
      {"memory_limit", [](auto& b) { b.memory_limit(ranges::memory.min - 1); }, ranges::memory},
      {"memory_limit", [](auto& b) { b.memory_limit(ranges::memory.max + 1); }, ranges::memory},
      {"memory_limit", [](auto& b) { b.memory_limit(static_cast<std::uint64_t>(-5) << 20); }, ranges::memory},
      {"cpu_limit", [](auto& b) { b.cpu_limit(std::nan("")); }, ranges::cpu},
      {"cpu_limit", [inf](auto& b) { b.cpu_limit(inf); }, ranges::cpu},
      {"cpu_limit", [inf](auto& b) { b.cpu_limit(-inf); }, ranges::cpu},
      {"cpu_limit", [](auto& b) { b.cpu_limit(0.009); }, ranges::cpu},
      {"cpu_limit", [](auto& b) { b.cpu_limit(1024.5); }, ranges::cpu},
      {"pids_limit", [](auto& b) { b.pids_limit(ranges::pids.max + 1); }, ranges::pids},
      {"output_limit", [](auto& b) { b.output_limit(ranges::output.max + 1); }, ranges::output},
  };
  for (const auto& c : cases) {
    SandboxConfigBuilder b;
    c.apply(b);
    auto r = b.build();
    ASSERT_FALSE(r.has_value()) << c.setter;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << r.error().message;
    EXPECT_EQ(r.error().context.at("setter"), c.setter);
    EXPECT_EQ(r.error().context.at("key"), c.range.key);
    EXPECT_NE(r.error().message.find(std::string(c.range.key) + ": "), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(describe_range(c.range)), std::string::npos) << r.error().message;
  }
}

TEST(Builder, NumericSettersAcceptTheBounds) {
  using std::chrono::milliseconds;
  for (bool maximum : {false, true}) {
    auto pick = [maximum](const NumericRange& r) { return maximum ? r.max : r.min; };
    auto c = SandboxConfigBuilder()
                 .timeout(milliseconds(pick(ranges::wall_timeout)))
                 .memory_limit(pick(ranges::memory))
                 .cpu_limit(static_cast<double>(pick(ranges::cpu)) / 100.0)
                 .pids_limit(pick(ranges::pids))
                 .output_limit(pick(ranges::output))
                 .build();
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_EQ(c->policy->limits.memory_bytes, pick(ranges::memory));
    EXPECT_EQ(c->policy->limits.pids, pick(ranges::pids));
  }
}

TEST(Builder, APolicyValueWithAnOutOfRangeNumberFailsBuild) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.uid = 4'294'967'295;  // (uid_t)-1: added to the OCI backends' host id base, it would wrap
  auto r = SandboxConfigBuilder().policy(p).build();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::policy_value);
  EXPECT_EQ(r.error().message, "uid: 4294967295 is out of range [0, 65534] id");
}

// The base policy and the edits on it are combined by build(): the order of the calls does not
// drop an edit (before: `.memory_limit(x).preset(strict)` silently lost x).
TEST(Builder, EditsSurviveABasePolicyGivenAfterThem) {
  auto before = SandboxConfigBuilder()
                    .memory_limit(64u << 20)
                    .writable("/tmp")
                    .network(NetworkMode::loopback)
                    .allow_degrade(Control::disk)
                    .preset(Preset::strict)
                    .build();
  auto after = SandboxConfigBuilder()
                   .preset(Preset::strict)
                   .memory_limit(64u << 20)
                   .writable("/tmp")
                   .network(NetworkMode::loopback)
                   .allow_degrade(Control::disk)
                   .build();
  ASSERT_TRUE(before.has_value()) << before.error().describe();
  ASSERT_TRUE(after.has_value()) << after.error().describe();
  EXPECT_EQ(before->policy.get(), after->policy.get());
  EXPECT_EQ(before->policy->limits.memory_bytes, 64u << 20);
  EXPECT_EQ(before->policy->network.mode, NetworkMode::loopback);
  EXPECT_EQ(before->policy->seccomp.mode, SeccompMode::strict);  // the preset is the base
  EXPECT_EQ(before->policy->may_degrade.count(Control::disk), 1u);
}

}  // namespace
}  // namespace kavach
