// Live output through the gate (issue 13): chunks reach the caller while the command runs, and a
// secret cut across writes — at every position, one byte at a time, with pauses long enough for
// the idle release — never leaves, streamed or not. A block finding stops the release and the
// command. Negative controls: without the gate the same secrets come out raw.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corpus_secret.hpp"
#include "kavach/credential.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {
namespace {

using Clock = std::chrono::steady_clock;

// Records what the gate released, with the time each chunk arrived.
class Recorder final : public OutputSink {
 public:
  bool on_output(OutputStream s, std::string_view bytes) override {
    std::lock_guard lock(mu);
    (s == OutputStream::stdout_stream ? out : err).append(bytes);
    chunks.push_back({Clock::now(), std::string(bytes)});
    return true;
  }
  void on_end() override { ended = true; }
  void on_finding(const gate::Finding& f) override {
    std::lock_guard lock(mu);
    findings.push_back(f.rule_id + ":" + std::string(gate::to_string(f.verdict)));
  }
  void on_truncated(OutputStream s, std::uint64_t limit) override {
    std::lock_guard lock(mu);
    truncated.push_back(std::string(to_string(s)) + ":" + std::to_string(limit));
  }
  struct Chunk {
    Clock::time_point at;
    std::string bytes;
  };
  std::mutex mu;
  std::string out;
  std::string err;
  std::vector<Chunk> chunks;
  std::vector<std::string> findings;   // "rule:verdict", as the gate told them
  std::vector<std::string> truncated;  // "stream:limit"
  bool ended = false;
};

// printf '%s' for each piece with a pause after it (long enough for the idle release).
std::string write_in_pieces(const std::vector<std::string>& pieces, const char* pause = "0.12") {
  std::string s;
  for (const auto& p : pieces) s += "printf '%s' '" + p + "'; sleep " + pause + "; ";
  return s + "echo";
}

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    auto backend = create_backend(BackendKind::process);
    if (!backend || !(*backend)->availability().available) GTEST_SKIP() << "process backend unavailable here";
  }

  Result<RunReport> run(const std::string& script, OutputSink* sink, GateSettings gate = {},
                        std::shared_ptr<const CredentialProxy> proxy = nullptr, std::uint64_t output_bytes = 0) {
    SandboxConfig config;
    SandboxPolicy policy = preset_policy(Preset::basic);
    if (output_bytes != 0) policy.limits.output_bytes = output_bytes;
    policy.limits.wall_timeout = std::chrono::milliseconds(20'000);
    config.policy = ValidPolicy::check(std::move(policy)).value();
    config.gate = std::move(gate);
    config.credentials = std::move(proxy);
    auto sandbox = Sandbox::create(std::move(config));
    if (!sandbox) return tl::unexpected(sandbox.error());
    Command cmd;
    cmd.argv = {"sh", "-c", script};
    cmd.output = sink;
    auto rep = (*sandbox)->exec(cmd);
    (void)(*sandbox)->destroy();
    return rep;
  }
};

TEST_F(Streaming, OutputArrivesWhileTheCommandRuns) {
  Recorder rec;
  const auto t0 = Clock::now();
  auto rep = run("echo first; sleep 1; echo second", &rec);
  const auto done = Clock::now();
  ASSERT_TRUE(rep) << rep.error().describe();
  ASSERT_FALSE(rec.chunks.empty());
  EXPECT_EQ(rec.chunks.front().bytes, "first\n");
  EXPECT_LT(rec.chunks.front().at - t0, std::chrono::milliseconds(800))
      << "the first line came only with the end of the run";
  EXPECT_GT(done - rec.chunks.front().at, std::chrono::milliseconds(700));
  EXPECT_EQ(rec.out, "first\nsecond\n");
  EXPECT_TRUE(rec.ended);
  EXPECT_EQ(rep->release, OutputRelease::released);
  EXPECT_EQ(rep->result.stdout_data, "first\nsecond\n");
  ASSERT_TRUE(rep->released_live_bytes.has_value());
  EXPECT_EQ(*rep->released_live_bytes, 13u);
}

// The output limit is what is released live too (not only what the result keeps); the command
// runs on, and the rest is cut loudly.
TEST_F(Streaming, OutputLimitCapsTheLiveReleaseLikeTheResult) {
  Recorder rec;
  auto rep = run("head -c 5000 /dev/zero | tr '\\0' x; echo done >&2", &rec, {}, nullptr, 1024);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rec.out, std::string(1024, 'x'));
  EXPECT_EQ(rec.err, "done\n") << "the command stopped at the limit";
  EXPECT_EQ(rep->result.stdout_data, rec.out);
  EXPECT_TRUE(rep->result.stdout_truncated);
  EXPECT_FALSE(rep->result.stderr_truncated);
  ASSERT_TRUE(rep->released_live_bytes.has_value());
  EXPECT_EQ(*rep->released_live_bytes, 1024u + 5u);
  EXPECT_EQ(rec.truncated, std::vector<std::string>{"stdout:1024"}) << "told once, for stdout only";
}

// A registered secret split at every position into two writes, and written one byte per write,
// with pauses: it never reaches the sink, neither does any encoding of it.
TEST_F(Streaming, RegisteredSecretCutAcrossWritesNeverLeaves) {
  const std::string secret = "kvSPLIT-" + std::to_string(::getpid()) + "-Zq8";
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("TOKEN", secret));
  GateSettings gate;
  gate.options.policy.registered_secret = gate::Verdict::warn;  // released: look at every byte
  std::vector<std::vector<std::string>> cases;
  for (std::size_t cut = 1; cut < secret.size(); ++cut) {
    cases.push_back({"before ", secret.substr(0, cut), secret.substr(cut), " after"});
  }
  std::vector<std::string> bytes = {"x"};
  for (char c : secret) bytes.emplace_back(1, c);
  cases.push_back(bytes);
  for (const auto& pieces : cases) {
    for (bool live : {true, false}) {
      Recorder rec;
      auto rep = run(write_in_pieces(pieces, "0.08"), live ? &rec : nullptr, gate, proxy);
      ASSERT_TRUE(rep) << rep.error().describe();
      const std::string& seen = live ? rec.out : rep->result.stdout_data;
      SCOPED_TRACE((live ? "live, pieces: " : "buffered, pieces: ") + std::to_string(pieces.size()));
      EXPECT_EQ(seen.find(secret), std::string::npos) << seen;
      for (std::size_t k = 6; k < secret.size(); ++k) {
        // No long piece of it either (the redaction covers the whole value).
        EXPECT_EQ(seen.find(secret.substr(0, k)), std::string::npos) << "prefix of " << k << " bytes left: " << seen;
      }
      EXPECT_NE(seen.find("[REDACTED"), std::string::npos) << seen;
    }
  }
  // Negative control: the same value, not registered (and no rule knows it), comes out whole.
  Recorder open;
  auto rep = run(write_in_pieces(cases.front(), "0.08"), &open, gate);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_NE(open.out.find(secret), std::string::npos) << open.out;
}

// The same for a secret only a rule knows (a checksum-valid GitHub token), cut at every position.
TEST_F(Streaming, RuleSecretCutAcrossWritesNeverLeaves) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty());
  GateSettings gate;
  gate.options.policy.by_rule["github-pat"] = gate::Verdict::warn;
  for (std::size_t cut = 1; cut < token.size(); cut += 3) {
    Recorder rec;
    auto rep = run(write_in_pieces({"token=", token.substr(0, cut), token.substr(cut)}, "0.08"), &rec, gate);
    ASSERT_TRUE(rep) << rep.error().describe();
    EXPECT_EQ(rec.out.find(token.substr(0, 20)), std::string::npos) << "cut " << cut << ": " << rec.out;
    EXPECT_NE(rec.out.find("[REDACTED:github-pat]"), std::string::npos) << "cut " << cut << ": " << rec.out;
  }
  // Negative control: without the gate the token comes out raw.
  Recorder open;
  GateSettings off;
  off.enabled = false;
  auto rep = run(write_in_pieces({"token=", token.substr(0, 10), token.substr(10)}, "0.08"), &open, off);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_NE(open.out.find(token), std::string::npos) << open.out;
}

// block: the release stops at the finding and the command is stopped (its later output and its
// remaining time never come); with kill_on_block off it runs to its end, withheld.
TEST_F(Streaming, BlockStopsTheReleaseAndTheCommand) {
  const std::string token = corpus_secret("github-pat");
  ASSERT_FALSE(token.empty());
  const std::string script = "echo shown; sleep 0.3; echo " + token + "; sleep 0.3; echo AFTER; sleep 4; echo LATE";
  GateSettings gate;
  gate.options.policy.by_rule["github-pat"] = gate::Verdict::block;
  Recorder rec;
  const auto t0 = Clock::now();
  auto rep = run(script, &rec, gate);
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(3'500)) << "the command was not stopped";
  EXPECT_TRUE(rep->result.stopped_by_consumer);
  EXPECT_TRUE(rep->release_stopped);
  EXPECT_EQ(rep->release, OutputRelease::withheld);
  EXPECT_EQ(rec.out, "shown\n") << "only what came before the finding is released";
  EXPECT_TRUE(rep->result.stdout_data.empty());
  EXPECT_EQ(rec.findings, std::vector<std::string>{"github-pat:block"}) << "the finding is told as it happens";

  Recorder kept;
  gate.kill_on_block = false;
  auto full = run("echo shown; sleep 0.3; echo " + token + "; sleep 0.3; echo AFTER", &kept, gate);
  ASSERT_TRUE(full) << full.error().describe();
  EXPECT_FALSE(full->result.stopped_by_consumer);
  EXPECT_EQ(full->result.exit_code, 0);
  EXPECT_EQ(kept.out, "shown\n");
}

}  // namespace
}  // namespace kavach
