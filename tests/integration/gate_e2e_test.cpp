// The externalization gate on real sandboxed runs: ON by default, redacts what a rule finds and
// every registered credential in any encoding, withholds output on `block`, audits its verdict.
// Negative control: with the gate switched off the same secrets come out raw, so these tests can
// fail when the mitigation is gone.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "corpus_secret.hpp"
#include "kavach/audit_log.hpp"
#include "kavach/credential.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {
namespace {

struct Events {
  std::mutex mu;
  std::vector<AuditEvent> all;
};

class GateE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = create_backend(BackendKind::process);
    if (!backend || (*backend)->maturity() != Maturity::runs_commands) {
      GTEST_SKIP() << "process backend cannot run commands in this build";
    }
    if (auto a = (*backend)->availability(); !a.available) GTEST_SKIP() << "process backend: " << a.reason;
  }

  Result<RunReport> run(std::vector<std::string> argv, GateSettings gate,
                        std::shared_ptr<const CredentialProxy> proxy = nullptr,
                        std::vector<SecretRef> refs = {}) {
    SandboxConfig config;
    config.policy = ValidPolicy(Preset::basic);
    config.gate = std::move(gate);
    config.credentials = std::move(proxy);
    config.secret_refs = std::move(refs);
    config.hooks.push_back(std::make_shared<CallbackAuditSink>([this](const AuditEvent& e) {
      std::lock_guard lock(events_.mu);
      events_.all.push_back(e);
    }));
    auto sandbox = Sandbox::create(std::move(config));
    if (!sandbox) return tl::unexpected(sandbox.error());
    Command cmd;
    cmd.argv = std::move(argv);
    auto rep = (*sandbox)->exec(cmd);
    (void)(*sandbox)->destroy();
    return rep;
  }

  std::optional<nlohmann::json> gate_event() {
    std::lock_guard lock(events_.mu);
    for (const auto& e : events_.all) {
      if (e.type == AuditEventType::gate_verdict) return e.data;
    }
    return std::nullopt;
  }

  Events events_;
};

TEST_F(GateE2E, RuleFindingIsRedactedAndJudgedByDefault) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty()) << "corpus has no github-pat positive";
  GateSettings gate;  // defaults: ON, builtin rules
  gate.options.policy.by_rule["github-pat"] = gate::Verdict::warn;  // released, so we see the text
  auto rep = run({"sh", "-c", "echo GITHUB_TOKEN=" + token + "; echo done >&2"}, gate);
  ASSERT_TRUE(rep) << rep.error().describe();
  ASSERT_TRUE(rep->gate.has_value());
  EXPECT_EQ(rep->release, OutputRelease::released);
  EXPECT_EQ(rep->gate->verdict, gate::Verdict::warn);
  EXPECT_EQ(rep->result.stdout_data.find(token), std::string::npos) << rep->result.stdout_data;
  EXPECT_NE(rep->result.stdout_data.find("GITHUB_TOKEN=[REDACTED:github-pat]"), std::string::npos)
      << rep->result.stdout_data;
  EXPECT_EQ(rep->result.stderr_data, "done\n");
  ASSERT_EQ(rep->gate->findings.size(), 1u);
  EXPECT_EQ(rep->gate->findings[0].rule_id, "github-pat");
  EXPECT_EQ(rep->gate->findings[0].source, "stdout");
  auto ev = gate_event();
  ASSERT_TRUE(ev.has_value()) << "no gate_verdict audit event";
  EXPECT_EQ((*ev)["verdict"], "warn");
  EXPECT_EQ((*ev)["findings"], 1);
  EXPECT_EQ(ev->dump().find(token), std::string::npos) << "secret in the audit event";
}

TEST_F(GateE2E, CriticalFindingWithholdsOutput) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty());
  GateSettings gate;
  gate.options.policy.by_rule["github-pat"] = gate::Verdict::block;
  auto rep = run({"sh", "-c", "echo " + token + "; echo other; exit 4"}, gate);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->release, OutputRelease::withheld);
  EXPECT_EQ(rep->gate->verdict, gate::Verdict::block);
  EXPECT_TRUE(rep->result.stdout_data.empty()) << "blocked output was released";
  EXPECT_EQ(rep->result.exit_code, 4) << "the command's own status is kept";
}

TEST_F(GateE2E, InjectedCredentialIsRedactedInEveryEncoding) {
  const std::string value = "kv-e2e-Registered-" + std::to_string(::getpid()) + "-q7Zt";
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("API_TOKEN", value));
  GateSettings gate;
  gate.options.policy.registered_secret = gate::Verdict::warn;  // released: inspect the redaction
  auto rep = run({"sh", "-c", "echo raw=$T; printf %s \"$T\" | base64 -w0; echo; printf %s \"$T\" | od -An -tx1 | tr -d ' \\n'; echo"},
                 gate, proxy, {{"API_TOKEN", InjectionMethod::env, "T"}});
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->result.exit_code, 0) << rep->result.stderr_data;
  EXPECT_EQ(rep->release, OutputRelease::released);
  const std::string& out = rep->result.stdout_data;
  EXPECT_EQ(out.find(value), std::string::npos) << out;
  EXPECT_EQ(out.find("a3YtZTJlLVJlZ2lzdGVyZWQt"), std::string::npos) << "base64 form leaked: " << out;
  EXPECT_EQ(out.find("6b762d6532652d"), std::string::npos) << "hex form leaked: " << out;
  ASSERT_GE(rep->gate->findings.size(), 3u) << out;
  for (const auto& f : rep->gate->findings) {
    EXPECT_EQ(f.rule_id, gate::kRegisteredSecretRule);
    EXPECT_EQ(f.preview.find(value), std::string::npos);
  }
}

TEST_F(GateE2E, InjectedCredentialBlocksByDefault) {
  const std::string value = "kv-e2e-Default-" + std::to_string(::getpid()) + "-x9Pw";
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("API_TOKEN", value));
  auto rep = run({"sh", "-c", "echo $T"}, GateSettings{}, proxy, {{"API_TOKEN", InjectionMethod::env, "T"}});
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->release, OutputRelease::withheld);
  EXPECT_TRUE(rep->result.stdout_data.empty());
  auto ev = gate_event();
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["verdict"], "block");
  EXPECT_EQ(ev->dump().find(value), std::string::npos);
}

TEST_F(GateE2E, CleanOutputPasses) {
  auto rep = run({"sh", "-c", "echo the amount is 42; ls /usr/include/linux | head -3"}, GateSettings{});
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->release, OutputRelease::released);
  EXPECT_EQ(rep->gate->verdict, gate::Verdict::pass);
  EXPECT_TRUE(rep->gate->findings.empty());
  EXPECT_EQ(rep->result.stdout_data.rfind("the amount is 42\n", 0), 0u);
}

// Negative control: switched off, the gate lets the secret through raw (and says so in the audit).
TEST_F(GateE2E, NegativeControlGateOffLeaksTheSecret) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty());
  GateSettings off;
  off.enabled = false;
  auto rep = run({"sh", "-c", "echo " + token}, off);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->release, OutputRelease::ungated);
  EXPECT_FALSE(rep->gate.has_value());
  EXPECT_EQ(rep->result.stdout_data, token + "\n");
  auto ev = gate_event();
  ASSERT_TRUE(ev.has_value()) << "switching the gate off must be audited";
  EXPECT_EQ((*ev)["verdict"], "disabled");
}

}  // namespace
}  // namespace kavach
