// Rule files: gitleaks TOML keys and kavach extensions, precise errors, extend/useDefault,
// allowlists, path rules, and the content-hash database cache.
#include <sys/stat.h>
#include <unistd.h>

#include "gate_test_util.hpp"

namespace kavach::gate::testing {
namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("kavach-gate-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  ::chmod(p.c_str(), 0700);
  return p;
}

Result<std::shared_ptr<const Gate>> load(std::string_view toml) {
  return Gate::from_toml(toml, "test.toml", LoadOptions{false, std::nullopt});
}

void expect_error(std::string_view toml, ErrorCode code, const std::string& needle) {
  auto g = load(toml);
  ASSERT_FALSE(g) << toml;
  EXPECT_EQ(g.error().code, code) << g.error().describe();
  EXPECT_NE(g.error().describe().find(needle), std::string::npos) << g.error().describe();
}

const char* kOne = R"(
[[rules]]
id = "acme-token"
regex = '''acme_([a-z0-9]{20})'''
severity = "high"
)";

TEST(GateLoader, PreciseErrors) {
  expect_error("[[rules]\nid=1", ErrorCode::policy_parse, "line=");
  expect_error("colour = 'red'\n", ErrorCode::policy_unknown_key, "colour");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\nsevere = 'high'\n", ErrorCode::policy_unknown_key,
               "severe");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\nkeywords = 'abc'\n", ErrorCode::policy_type,
               "keywords");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\n[[rules]]\nid = 'a'\nregex = 'y'\n",
               ErrorCode::policy_value, "duplicate rule id");
  expect_error("[[rules]]\nid = 'a'\nregex = '(unclosed'\n", ErrorCode::policy_value, "rule=a");
  expect_error("[[rules]]\nid = 'a'\nregex = 'a(b)'\nsecretGroup = 2\n", ErrorCode::policy_value,
               "secretGroup");
  expect_error("[[rules]]\nid = 'a'\ndescription = 'nothing to match'\n", ErrorCode::policy_value,
               "neither regex nor path");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\nvalidators = ['crc64']\n", ErrorCode::policy_value,
               "crc64");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\nseverity = 'urgent'\n", ErrorCode::policy_value,
               "urgent");
  expect_error("[[rules]]\nid = 'a'\nregex = 'x'\n[[rules.required]]\nid = 'b'\n",
               ErrorCode::policy_unknown_key, "required");
  auto missing = Gate::from_file("/nonexistent/rules.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::path_not_found);
}

TEST(GateLoader, OwnRulesOnlyUnlessUseDefault) {
  auto own = load(kOne);
  ASSERT_TRUE(own) << own.error().describe();
  EXPECT_EQ((*own)->rules().size(), 1u);
  auto s = scan(*own, "key acme_k3x9q2m8v7b4n1z6p5w0 and ghp_...\n");
  EXPECT_TRUE(has_rule(s.report, "acme-token"));
  EXPECT_EQ(s.out, "key acme_[REDACTED:acme-token] and ghp_...\n");  // only the group

  auto ext = load(std::string("[extend]\nuseDefault = true\ndisabledRules = ['email-address']\n") + kOne);
  ASSERT_TRUE(ext) << ext.error().describe();
  const auto builtin_count = builtin_gate()->rules().size();
  EXPECT_EQ((*ext)->rules().size(), builtin_count);  // +1 acme, -1 email
  s = scan(*ext, "acme_k3x9q2m8v7b4n1z6p5w0 maria.lopez@proton.me\n");
  EXPECT_TRUE(has_rule(s.report, "acme-token"));
  EXPECT_FALSE(has_rule(s.report, "email-address"));
}

TEST(GateLoader, AllowlistsFollowGitleaksSemantics) {
  auto g = load(R"(
[allowlist]
regexes = ['''^acme_''']
stopwords = ["testkey"]
[[rules]]
id = "kv"
regex = '''value=([a-z0-9]{12,})'''
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''# nosecret''']
[[rules.allowlists]]
condition = "AND"
paths = ['''fixtures/''']
regexes = ['''^fixture''']
)");
  ASSERT_TRUE(g) << g.error().describe();
  EXPECT_TRUE(has_rule(scan(*g, "value=k3y9x8c7v6b5n4\n").report, "kv"));
  EXPECT_FALSE(has_rule(scan(*g, "value=k3y9x8c7v6b5n4 # nosecret\n").report, "kv"));  // line
  EXPECT_FALSE(has_rule(scan(*g, "value=abctestkey12345\n").report, "kv"));  // global stopword
  // AND: the path and the regex must both hold.
  const std::string fx = "value=fixture123456\n";
  EXPECT_TRUE(has_rule(scan(*g, fx, 0, {}, {}, "src/main.txt").report, "kv"));
  EXPECT_FALSE(has_rule(scan(*g, fx, 0, {}, {}, "tests/fixtures/a.txt").report, "kv"));
}

TEST(GateLoader, PathRules) {
  auto g = load(R"(
[[rules]]
id = "dotenv-value"
path = '''(^|/)\.env$'''
regex = '''=([A-Za-z0-9]{8,})'''
[[rules]]
id = "pkcs12-file"
path = '''\.p12$'''
)");
  ASSERT_TRUE(g) << g.error().describe();
  EXPECT_TRUE(has_rule(scan(*g, "TOKEN=abcd1234efgh\n", 0, {}, {}, "app/.env").report, "dotenv-value"));
  EXPECT_FALSE(has_rule(scan(*g, "TOKEN=abcd1234efgh\n", 0, {}, {}, "stdout").report, "dotenv-value"));
  // Path-only rule: the whole file is the finding and its content is withheld.
  const auto s = scan(*g, std::string(5000, '\x01'), 1000, {}, {}, "export/cert.p12");
  ASSERT_TRUE(has_rule(s.report, "pkcs12-file"));
  EXPECT_EQ(s.out, "[REDACTED:pkcs12-file]");
  EXPECT_EQ(s.report.findings[0].end, 5000u);
}

TEST(GateLoader, CacheHitMissAndInvalidation) {
  const auto cache = fresh_dir("cache");
  const auto rules_dir = fresh_dir("rules");
  const auto base = rules_dir / "base.toml";
  const auto user = rules_dir / "user.toml";
  {
    std::ofstream(base) << kOne;
    std::ofstream(user) << "[extend]\npath = 'base.toml'\n[[rules]]\nid = 'other'\nregex = '''zz_([0-9]{10})'''\n";
  }
  LoadOptions opts{true, cache};
  auto first = Gate::from_file(user, opts);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_TRUE((*first)->load_info().compiled_now);
  EXPECT_EQ((*first)->rules().size(), 2u);
  auto second = Gate::from_file(user, opts);
  ASSERT_TRUE(second);
  EXPECT_FALSE((*second)->load_info().compiled_now);
  EXPECT_EQ((*second)->load_info().cache_file, (*first)->load_info().cache_file);
  // The extended file changed: the cached database is stale.
  {
    std::ofstream(base) << kOne << "\n[[rules]]\nid = 'third'\nregex = '''yy_([0-9]{10})'''\n";
  }
  auto third = Gate::from_file(user, opts);
  ASSERT_TRUE(third);
  EXPECT_TRUE((*third)->load_info().compiled_now);
  EXPECT_EQ((*third)->rules().size(), 3u);
  // A corrupt entry is recompiled and replaced.
  {
    std::ofstream(((*third)->load_info().cache_file), std::ios::trunc) << "garbage";
  }
  auto fourth = Gate::from_file(user, opts);
  ASSERT_TRUE(fourth) << fourth.error().describe();
  EXPECT_TRUE((*fourth)->load_info().compiled_now);
  EXPECT_FALSE(Gate::from_file(user, opts).value()->load_info().compiled_now);
  std::filesystem::remove_all(cache);
  std::filesystem::remove_all(rules_dir);
}

// A valid entry that is not private to us (loosened mode, another owner, a symlink) is a doubt:
// rebuilt, never used.
TEST(GateLoader, AnEntryNotPrivateToUsIsRebuilt) {
  const auto cache = fresh_dir("entry-cache");
  LoadOptions opts{true, cache};
  auto first = Gate::from_toml(kOne, "t.toml", opts);
  ASSERT_TRUE(first) << first.error().describe();
  const auto entry = (*first)->load_info().cache_file;
  ASSERT_FALSE(entry.empty());
  ASSERT_FALSE(Gate::from_toml(kOne, "t.toml", opts).value()->load_info().compiled_now);
  ::chmod(entry.c_str(), 0644);
  EXPECT_TRUE(Gate::from_toml(kOne, "t.toml", opts).value()->load_info().compiled_now) << "mode 0644 was used";
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(entry.c_str(), 65534, 65534), 0);
    EXPECT_TRUE(Gate::from_toml(kOne, "t.toml", opts).value()->load_info().compiled_now) << "uid 65534's entry was used";
  }
  const auto elsewhere = cache.parent_path() / (cache.filename().string() + "-planted.kdb");
  std::filesystem::rename(entry, elsewhere);
  std::filesystem::create_symlink(elsewhere, entry);
  EXPECT_TRUE(Gate::from_toml(kOne, "t.toml", opts).value()->load_info().compiled_now) << "a symlink was followed";
  std::filesystem::remove(elsewhere);
  std::filesystem::remove_all(cache);
}

// A cache directory others can write to is not trusted: a planted database would decide what
// the gate lets out.
TEST(GateLoader, UntrustedCacheDirectoryIsNotUsed) {
  const auto cache = fresh_dir("open-cache");
  ::chmod(cache.c_str(), 0777);
  auto g = Gate::from_toml(kOne, "t.toml", LoadOptions{true, cache});
  ASSERT_TRUE(g);
  EXPECT_TRUE((*g)->load_info().cache_file.empty());
  EXPECT_TRUE(std::filesystem::is_empty(cache));
  std::filesystem::remove_all(cache);
}

TEST(GateLoader, BuiltinLoadsPrecompiled) {
  auto g = Gate::load_builtin();
  ASSERT_TRUE(g) << g.error().describe();
  const auto& info = (*g)->load_info();
  EXPECT_EQ(info.origin, "builtin");
  EXPECT_FALSE(info.compiled_now) << "the builtin database must come precompiled";
  EXPECT_GE(info.rule_count, 140u);
}

}  // namespace
}  // namespace kavach::gate::testing
