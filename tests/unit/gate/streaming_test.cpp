// Streaming: a secret split across chunks is found and fully redacted; the result does not
// depend on how the stream was cut, and nothing of a partial secret is released early.
#include <thread>

#include "gate/checksums.hpp"
#include <nlohmann/json.hpp>

#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

std::string github_token(std::string_view random30) {
  return "ghp_" + std::string(random30) + detail::base62(detail::crc32(random30), 6);
}

const std::string kToken = github_token("R4nd0mT0k3nV4lu3Qw7xZp2Lm9Kd8A");

std::string sample() {
  std::string s(3000, '.');
  for (std::size_t i = 0; i < s.size(); i += 80) s[i] = '\n';
  s += "\nexport GITHUB_TOKEN=" + kToken + "\n";
  s += "aws_secret_access_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8s9vLq2R\"\n";
  s += "contact: maria.lopez@proton.me\n";
  s += "b64: " + std::string("dG9rZW49") + "\n";
  s += std::string(2000, 'x') + "\n";
  return s;
}

TEST(GateStreaming, ChunkingDoesNotChangeTheResult) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = sample();
  const auto whole = scan(gate, text);
  ASSERT_TRUE(has_rule(whole.report, "github-pat"));
  ASSERT_TRUE(has_rule(whole.report, "aws-secret-access-key"));
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 13u, 64u, 1000u, 4096u}) {
    const auto s = scan(gate, text, chunk);
    EXPECT_EQ(s.out, whole.out) << "chunk " << chunk;
    ASSERT_EQ(s.report.findings.size(), whole.report.findings.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < s.report.findings.size(); ++i) {
      EXPECT_EQ(s.report.findings[i].rule_id, whole.report.findings[i].rule_id);
      EXPECT_EQ(s.report.findings[i].begin, whole.report.findings[i].begin);
      EXPECT_EQ(s.report.findings[i].end, whole.report.findings[i].end);
      EXPECT_EQ(s.report.findings[i].line, whole.report.findings[i].line);
    }
  }
}

TEST(GateStreaming, SecretSplitAtEveryPositionIsRedacted) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = "log line before\nGITHUB_TOKEN=" + kToken + "\nafter\n";
  const auto at = text.find(kToken);
  for (std::size_t cut = at; cut <= at + kToken.size(); ++cut) {
    Session session(gate);
    auto sc = session.open("stdout");
    ASSERT_TRUE(sc);
    std::string out;
    ASSERT_TRUE((*sc)->write(std::string_view(text).substr(0, cut), out));
    ASSERT_TRUE((*sc)->write(std::string_view(text).substr(cut), out));
    ASSERT_TRUE((*sc)->finish(out));
    EXPECT_EQ(out.find(kToken.substr(4)), std::string::npos) << "cut " << cut;
    EXPECT_TRUE(has_rule((*sc)->report(), "github-pat")) << "cut " << cut;
  }
}

// Control: the same halves scanned as two independent streams (no state carried over) are not
// recognised -- the carried state is what finds the split secret.
TEST(GateStreaming, ControlWithoutCarriedStateTheSplitSecretIsMissed) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = "GITHUB_TOKEN=" + kToken + "\n";
  const auto cut = text.find(kToken) + 20;
  const auto a = scan(gate, std::string_view(text).substr(0, cut));
  const auto b = scan(gate, std::string_view(text).substr(cut));
  EXPECT_FALSE(has_rule(a.report, "github-pat"));
  EXPECT_FALSE(has_rule(b.report, "github-pat"));
}

TEST(GateStreaming, PartialSecretIsHeldBack) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  Session session(gate);
  auto sc = session.open("stdout");
  ASSERT_TRUE(sc);
  std::string out;
  const std::string filler(100000, 'a');
  ASSERT_TRUE((*sc)->write(filler + "\nGITHUB_TOKEN=" + kToken.substr(0, 25), out));
  // Most of the filler is released; the start of the token is not.
  EXPECT_GT(out.size(), 50000u);
  EXPECT_EQ(out.find("ghp_"), std::string::npos);
  ASSERT_TRUE((*sc)->write(kToken.substr(25) + "\n", out));
  ASSERT_TRUE((*sc)->finish(out));
  EXPECT_EQ(out.find(kToken.substr(0, 8)), std::string::npos);
  EXPECT_NE(out.find("[REDACTED:github-pat]"), std::string::npos);
  EXPECT_EQ(out.size(), filler.size() + std::string("\nGITHUB_TOKEN=[REDACTED:github-pat]\n").size());
}

TEST(GateStreaming, LongKeySplitAcrossLargeChunks) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  // A PEM key cut by a 64 KiB chunk boundary.
  std::string pem;
  {
    std::ifstream in(data_dir() / "positives.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("\"private-key-rsa\"") != std::string::npos) {
        pem = nlohmann::json::parse(line)["secret"];
        break;
      }
    }
  }
  ASSERT_FALSE(pem.empty());
  std::string text(65536 - 100, 'z');
  text += "\n" + pem + "\n";
  const auto s = scan(gate, text, 65536);
  EXPECT_TRUE(has_rule(s.report, "private-key-rsa")) << rules_of(s.report);
  EXPECT_EQ(s.out.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
}

TEST(GateStreaming, SharedGateAcrossThreads) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = sample();
  const auto expected = scan(gate, text).out;
  std::vector<std::thread> threads;
  std::vector<std::string> outs(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) outs[static_cast<std::size_t>(t)] = scan(gate, text, 97).out;
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& o : outs) EXPECT_EQ(o, expected);
}

TEST(GateStreaming, LineNumbersAndPreview) {
  auto gate = builtin_gate();
  ASSERT_TRUE(gate);
  const std::string text = "one\ntwo\nexport GITHUB_TOKEN=" + kToken + "\n";
  const auto s = scan(gate, text);
  ASSERT_EQ(s.report.findings.size(), 1u);
  const auto& f = s.report.findings[0];
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.preview, "export GITHUB_TOKEN=[REDACTED:github-pat]");
  EXPECT_EQ(f.begin, text.find(kToken));
  EXPECT_EQ(f.end, text.find(kToken) + kToken.size());
  EXPECT_EQ(f.source, "stdout");
}

}  // namespace
}  // namespace kavach::gate::testing
