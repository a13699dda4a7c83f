// gitleaks rule files load at run time: gitleaks' own default rule set (MIT, data only, read from
// ../shared/data/gitleaks, never copied into this repository) must load and compile completely.
#include "gate/checksums.hpp"
#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

std::filesystem::path gitleaks_toml() {
  if (const char* env = std::getenv("KAVACH_GITLEAKS_TOML")) return env;
  return std::filesystem::path(KAVACH_SOURCE_DIR) / ".." / "shared" / "data" / "gitleaks" /
         "gitleaks.toml";
}

std::filesystem::path temp_cache() {
  auto p = std::filesystem::temp_directory_path() /
           ("kavach-gate-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p;
}

TEST(GateGitleaks, DefaultRuleFileLoadsAndCompilesCompletely) {
  const auto file = gitleaks_toml();
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "gitleaks.toml not found at " << file;
  const auto cache = temp_cache();
  auto gate = Gate::from_file(file, LoadOptions{true, cache});
  ASSERT_TRUE(gate) << gate.error().describe();
  const auto& info = (*gate)->load_info();
  EXPECT_TRUE(info.compiled_now);
  // Every [[rules]] entry is there (gitleaks' file at the pinned commit has 222).
  const std::string text = read_text(file);
  std::size_t declared = 0;
  for (auto p = text.find("[[rules]]"); p != std::string::npos; p = text.find("[[rules]]", p + 1)) {
    ++declared;
  }
  EXPECT_EQ(info.rule_count, declared);
  EXPECT_GE(info.rule_count, 200u);

  // gitleaks rule ids and semantics: a token with the right shape is a finding...
  const std::string r = "Ab3De6Gh9Jk2Mn5Pq8St1Vw4Yz7Bc0";
  const std::string tok = "ghp_" + r + detail::base62(detail::crc32(r), 6);
  auto s = scan(*gate, "export GITHUB_TOKEN=" + tok + "\n");
  EXPECT_TRUE(has_rule(s.report, "github-pat")) << rules_of(s.report);
  EXPECT_EQ(s.out.find(tok), std::string::npos);
  s = scan(*gate, "aws_access_key_id = AKIAZ7Q2MXR4TPL6WNB3\n");
  EXPECT_TRUE(has_rule(s.report, "aws-access-token")) << rules_of(s.report);
  // ... and its allowlists apply (the AWS rule allowlists .+EXAMPLE$).
  s = scan(*gate, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n");
  EXPECT_FALSE(has_rule(s.report, "aws-access-token"));

  // Second load: served from the content-hash cache, no compilation.
  auto again = Gate::from_file(file, LoadOptions{true, cache});
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_FALSE((*again)->load_info().compiled_now);
  EXPECT_EQ((*again)->load_info().rule_count, info.rule_count);
  EXPECT_TRUE(std::filesystem::exists((*again)->load_info().cache_file));
  std::filesystem::remove_all(cache);
}

}  // namespace
}  // namespace kavach::gate::testing
