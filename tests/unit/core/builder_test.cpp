#include <gtest/gtest.h>

#include "kavach/config.hpp"

namespace kavach {
namespace {

TEST(Builder, DefaultsToAgentOnProcess) {
  auto c = SandboxConfigBuilder().build();
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->backend, BackendKind::process);
  EXPECT_EQ(c->policy.name, "agent");
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
  EXPECT_EQ(c->policy.limits.memory_bytes, 64u << 20);
  EXPECT_EQ(c->policy.limits.pids, 32u);
  EXPECT_EQ(c->policy.network.mode, NetworkMode::loopback);
  EXPECT_EQ(c->policy.fs.writable_paths.back(), "/tmp");
  EXPECT_TRUE(c->policy.may_degrade.count(Control::cgroup_cpu));
}

}  // namespace
}  // namespace kavach
