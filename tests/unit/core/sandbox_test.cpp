// Sandbox lifecycle and audit hooks, over the noop backend.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "backends/noop/noop_backend.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {
namespace {

class Recorder : public AuditHook {
 public:
  void on_event(const AuditEvent& e) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    types.push_back(e.type);
    ids.push_back(e.sandbox_id);
  }
  std::vector<AuditEventType> types;
  std::vector<std::string> ids;

 private:
  std::mutex mu_;
};

TEST(Sandbox, LifecycleEmitsEveryEvent) {
  auto rec = std::make_shared<Recorder>();
  auto cfg = SandboxConfigBuilder().backend(BackendKind::noop).hook(rec).build();
  ASSERT_TRUE(cfg.has_value());
  auto sb = Sandbox::create(*cfg, noop::make_noop_backend());
  ASSERT_TRUE(sb.has_value()) << sb.error().message;
  auto& s = **sb;
  EXPECT_EQ(s.state(), State::created);
  auto run = s.exec(Command{{"/bin/true"}, {}, {}, {}});
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->score.value, 0) << "noop enforces nothing";
  EXPECT_EQ(s.state(), State::running);
  EXPECT_FALSE(s.destroy().has_value()) << "a running sandbox is stopped first";
  ASSERT_TRUE(s.stop().has_value());
  ASSERT_TRUE(s.destroy().has_value());
  EXPECT_FALSE(s.destroy().has_value());
  const std::vector<AuditEventType> expected = {
      AuditEventType::created,      AuditEventType::exec_started, AuditEventType::enforcement,
      AuditEventType::exec_finished, AuditEventType::score,       AuditEventType::gate_verdict,
      AuditEventType::stopped,      AuditEventType::destroyed};
  EXPECT_EQ(rec->types, expected);
  for (const auto& id : rec->ids) EXPECT_EQ(id, s.id());
}

TEST(Sandbox, EmptyCommandIsAnError) {
  auto cfg = SandboxConfigBuilder().backend(BackendKind::noop).build();
  auto sb = Sandbox::create(*cfg, noop::make_noop_backend());
  ASSERT_TRUE(sb.has_value());
  auto r = (*sb)->exec(Command{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  // Checked before the lifecycle moves: the sandbox is still fresh, not "running".
  EXPECT_EQ((*sb)->state(), State::created);
}

}  // namespace
}  // namespace kavach
