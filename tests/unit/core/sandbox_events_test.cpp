// Sandbox audit trail beyond the happy path: policy_violation with a typed reason for each
// limit/rule a run hit, stopped/destroyed when a sandbox is dropped, registered secrets redacted
// even with the gate off, and inject targets clashing with the policy's environment refused.
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <vector>

#include "kavach/sandbox.hpp"

namespace kavach {
namespace {

class Recorder : public AuditHook {
 public:
  void on_event(const AuditEvent& e) noexcept override {
    std::lock_guard<std::mutex> lock(mu_);
    events.push_back(e);
  }
  std::vector<AuditEventType> types() const {
    std::vector<AuditEventType> t;
    for (const auto& e : events) t.push_back(e.type);
    return t;
  }
  std::vector<std::string> violations() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.type == AuditEventType::policy_violation) out.push_back(e.data.value("reason", ""));
    }
    return out;
  }
  std::vector<AuditEvent> events;

 private:
  std::mutex mu_;
};

// A backend that "runs" by returning a prepared result (what a real backend reports after a
// timeout, OOM kill, ...), or an error.
class ScriptedBackend : public Backend {
 public:
  explicit ScriptedBackend(Result<ExecResult> script) : script_(std::move(script)) {}
  BackendKind kind() const override { return BackendKind::noop; }
  Maturity maturity() const override { return Maturity::runs_commands; }
  Availability availability() const override { return {true, "scripted"}; }
  Result<ExecResult> run(const ValidPolicy&, const Command&) override { return script_; }
  Result<void> health_check() override { return {}; }
  Result<void> destroy() override { return {}; }

 private:
  Result<ExecResult> script_;
};

struct Run {
  std::shared_ptr<Recorder> rec = std::make_shared<Recorder>();
  Result<RunReport> report = fail(ErrorCode::internal, "not run");
};

Run run_scripted(Result<ExecResult> script, bool gate = true, std::shared_ptr<CredentialProxy> proxy = nullptr) {
  Run out;
  SandboxConfig config;
  config.backend = BackendKind::noop;
  config.policy = ValidPolicy(Preset::basic);
  config.hooks.push_back(out.rec);
  config.gate.enabled = gate;
  config.credentials = std::move(proxy);
  auto sb = Sandbox::create(std::move(config), std::make_unique<ScriptedBackend>(std::move(script)));
  if (!sb) {
    out.report = tl::unexpected(sb.error());
    return out;
  }
  out.report = (*sb)->exec(Command{{"/bin/true"}, {}, {}, {}});
  if (out.report) {
    (void)(*sb)->stop();
    (void)(*sb)->destroy();
  }
  return out;
}

ExecResult exited(int code) {
  ExecResult r;
  r.exit_code = code;
  return r;
}

TEST(SandboxEvents, CleanRunHasNoViolation) {
  auto run = run_scripted(exited(0));
  ASSERT_TRUE(run.report) << run.report.error().describe();
  EXPECT_EQ(run.rec->violations(), std::vector<std::string>{});
}

TEST(SandboxEvents, EachLimitHitIsAViolationWithItsReason) {
  ExecResult timeout;
  timeout.timed_out = true;
  timeout.signal = SIGKILL;
  ExecResult oom;
  oom.oom_killed = true;
  oom.signal = SIGKILL;
  ExecResult pids = exited(1);
  pids.pids_limit_hit = true;
  ExecResult cpu;
  cpu.cpu_limit_hit = true;
  cpu.signal = SIGXCPU;
  ExecResult sigsys;
  sigsys.signal = SIGSYS;
  const std::vector<std::pair<ExecResult, std::string>> cases = {
      {timeout, "timeout"}, {oom, "oom"}, {pids, "pids_limit"}, {cpu, "cpu_limit"}, {sigsys, "seccomp_kill"}};
  for (const auto& [result, reason] : cases) {
    auto run = run_scripted(result);
    ASSERT_TRUE(run.report) << run.report.error().describe();
    EXPECT_EQ(run.rec->violations(), std::vector<std::string>{reason});
  }
}

TEST(SandboxEvents, GateBlockIsAViolation) {
  ExecResult leaked = exited(0);
  leaked.stdout_data = "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n-----END RSA PRIVATE KEY-----\n";
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("TOKEN", "s3cr3t-value-xyz"));
  leaked.stdout_data += "token s3cr3t-value-xyz\n";
  auto run = run_scripted(leaked, true, proxy);
  ASSERT_TRUE(run.report) << run.report.error().describe();
  EXPECT_EQ(run.report->release, OutputRelease::withheld);
  EXPECT_EQ(run.rec->violations(), std::vector<std::string>{"gate_block"});
}

TEST(SandboxEvents, NoGateStillRedactsRegisteredSecrets) {
  const std::string value = "s3cr3t-value-xyz";
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("TOKEN", value));
  ExecResult out = exited(0);
  out.stdout_data = "plain " + value + "\nbase64 czNjcjN0LXZhbHVlLXh5eg==\n";
  out.stderr_data = "hex 73336372337400000\n" + value;
  auto run = run_scripted(out, /*gate=*/false, proxy);
  ASSERT_TRUE(run.report) << run.report.error().describe();
  EXPECT_EQ(run.report->release, OutputRelease::ungated);
  EXPECT_EQ(run.report->result.stdout_data.find(value), std::string::npos) << run.report->result.stdout_data;
  EXPECT_EQ(run.report->result.stdout_data.find("czNjcjN0LXZhbHVlLXh5eg"), std::string::npos)
      << "base64 form released";
  EXPECT_EQ(run.report->result.stderr_data.find(value), std::string::npos);
  EXPECT_NE(run.report->result.stdout_data.find("plain "), std::string::npos) << "the rest is released";
  // Without registered secrets, --no-gate releases the output untouched.
  auto raw = run_scripted(out, false, nullptr);
  ASSERT_TRUE(raw.report);
  EXPECT_EQ(raw.report->result.stdout_data, out.stdout_data);
}

TEST(SandboxEvents, DroppedSandboxRecordsStoppedAndDestroyed) {
  auto rec = std::make_shared<Recorder>();
  {
    SandboxConfig config;
    config.backend = BackendKind::noop;
    config.policy = ValidPolicy(Preset::basic);
    config.hooks.push_back(rec);
    auto sb = Sandbox::create(std::move(config),
                              std::make_unique<ScriptedBackend>(fail(ErrorCode::setup_failed, "mounts failed")));
    ASSERT_TRUE(sb);
    auto r = (*sb)->exec(Command{{"/bin/true"}, {}, {}, {}});
    ASSERT_FALSE(r);
  }  // dropped without stop()/destroy(), as `kavach run` does on an error
  const std::vector<AuditEventType> expected = {AuditEventType::created, AuditEventType::exec_started,
                                                AuditEventType::setup_failure, AuditEventType::stopped,
                                                AuditEventType::destroyed};
  EXPECT_EQ(rec->types(), expected);
  EXPECT_EQ(rec->events.back().data.value("reason", ""), "released");
}

TEST(SandboxEvents, DestroyedOnceWhenDestroyWasCalled) {
  auto run = run_scripted(exited(0));
  ASSERT_TRUE(run.report);
  std::size_t destroyed = 0;
  for (auto t : run.rec->types()) destroyed += t == AuditEventType::destroyed ? 1 : 0;
  EXPECT_EQ(destroyed, 1u);
}

TEST(SandboxEvents, InjectTargetSetByThePolicyIsADuplicateTarget) {
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("TOKEN", "s3cr3t-value-xyz"));
  for (const char* var : {"PATH", "HOME"}) {
    SandboxConfig config;
    config.backend = BackendKind::noop;
    config.policy = ValidPolicy(Preset::agent);  // env_allow includes PATH and HOME
    config.credentials = proxy;
    config.secret_refs = {{"TOKEN", InjectionMethod::env, var}};
    auto sb = Sandbox::create(std::move(config), std::make_unique<ScriptedBackend>(exited(0)));
    ASSERT_FALSE(sb) << var;
    EXPECT_EQ(sb.error().code, ErrorCode::secret_error);
    EXPECT_EQ(sb.error().context.at("reason"), "duplicate_target") << sb.error().message;
    EXPECT_NE(sb.error().message.find("policy"), std::string::npos) << sb.error().message;
  }
}

}  // namespace
}  // namespace kavach
