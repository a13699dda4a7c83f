#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kavach/audit.hpp"
#include "kavach/credential.hpp"

namespace kavach {
namespace {

constexpr const char* kToken = "tok-8f3a-Q1";
constexpr const char* kKey = "key-77c2-Z9";

CredentialProxy proxy() {
  CredentialProxy p;
  EXPECT_TRUE(p.add_value("TOKEN", kToken));
  EXPECT_TRUE(p.add_value("KEY", kKey));
  return p;
}

void expect_no_values(const Error& e) {
  for (const char* v : {kToken, kKey}) {
    EXPECT_EQ(e.describe().find(v), std::string::npos) << e.describe();
    for (const auto& [k, val] : e.context) EXPECT_EQ(val.find(v), std::string::npos) << k;
  }
}

bool same(const Command& a, const Command& b) {
  if (a.argv != b.argv || a.env != b.env || a.stdin_data != b.stdin_data || a.files.size() != b.files.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].path != b.files[i].path || a.files[i].content != b.files[i].content) return false;
  }
  return true;
}

TEST(Inject, EachMethodFillsTheCommand) {
  const auto p = proxy();
  Command cmd;
  cmd.argv = {"sh", "-c", "true"};
  ASSERT_TRUE(p.inject({{"TOKEN", InjectionMethod::env, "API_TOKEN"},
                        {"KEY", InjectionMethod::file, "/run/secrets/key"},
                        {"TOKEN", InjectionMethod::standard_input, ""}},
                       cmd));
  ASSERT_EQ(cmd.env.size(), 1u);
  EXPECT_EQ(cmd.env[0].first, "API_TOKEN");
  EXPECT_EQ(cmd.env[0].second, kToken);
  ASSERT_EQ(cmd.files.size(), 1u);
  EXPECT_EQ(cmd.files[0].path, "/run/secrets/key");
  EXPECT_EQ(cmd.files[0].content, kKey);
  EXPECT_EQ(cmd.files[0].mode, 0400u);
  ASSERT_TRUE(cmd.stdin_data);
  EXPECT_EQ(*cmd.stdin_data, kToken);
}

// An egress injection gives the sandbox a fresh random placeholder, never the value; the value
// travels only in egress_swaps (for the proxy), and scrub() wipes it.
TEST(Inject, EgressGivesThePlaceholderAndKeepsTheValueForTheProxy) {
  const auto p = proxy();
  Command a;
  Command b;
  ASSERT_TRUE(p.inject({{"TOKEN", InjectionMethod::egress, "GH_TOKEN@api.github.com/Authorization"}}, a));
  ASSERT_TRUE(p.inject({{"TOKEN", InjectionMethod::egress, "GH_TOKEN@api.github.com/Authorization"}}, b));
  ASSERT_EQ(a.env.size(), 1u);
  EXPECT_EQ(a.env[0].first, "GH_TOKEN");
  EXPECT_EQ(a.env[0].second.rfind("kavach-placeholder-", 0), 0u);
  EXPECT_EQ(a.env[0].second.find(kToken), std::string::npos);
  EXPECT_NE(a.env[0].second, b.env[0].second);  // one per run
  ASSERT_EQ(a.egress_swaps.size(), 1u);
  EXPECT_EQ(a.egress_swaps[0].placeholder, a.env[0].second);
  EXPECT_EQ(a.egress_swaps[0].value, kToken);
  EXPECT_EQ(a.egress_swaps[0].host, "api.github.com");
  EXPECT_EQ(a.egress_swaps[0].header, "Authorization");
  p.scrub(a);
  EXPECT_TRUE(a.egress_swaps.empty());
  // The variable is a target like any other: taken twice is refused.
  Command c;
  c.env = {{"GH_TOKEN", "x"}};
  auto r = p.inject({{"TOKEN", InjectionMethod::egress, "GH_TOKEN@api.github.com/Authorization"}}, c);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context.at("reason"), kReasonDuplicateTarget);
}

TEST(Inject, UnknownNameListsRegisteredSecrets) {
  const auto p = proxy();
  Command cmd;
  auto r = p.inject({{"TOKNE", InjectionMethod::env, "T"}}, cmd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::secret_error);
  EXPECT_EQ(r.error().message, "unknown secret 'TOKNE' (registered: KEY, TOKEN)");
  CredentialProxy none;
  auto r2 = none.inject({{"X", InjectionMethod::standard_input, ""}}, cmd);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("registered: none"), std::string::npos);
}

TEST(Inject, DuplicateTargetsAreErrorsAndLeaveTheCommandUntouched) {
  const auto p = proxy();
  Command base;
  base.argv = {"env"};
  base.env = {{"HOME", "/home/x"}};
  base.files = {InjectedFile{"/etc/app.conf", "plain", 0400}};

  struct Case {
    std::vector<SecretRef> refs;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{{"TOKEN", InjectionMethod::env, "A"}, {"KEY", InjectionMethod::env, "A"}},
       "environment variable A is set by both secret 'TOKEN' and secret 'KEY'"},
      {{{"TOKEN", InjectionMethod::env, "HOME"}}, "environment variable HOME is set by both the command and secret 'TOKEN'"},
      {{{"TOKEN", InjectionMethod::file, "/s/x"}, {"KEY", InjectionMethod::file, "/s/x"}},
       "file /s/x is written by both secret 'TOKEN' and secret 'KEY'"},
      {{{"KEY", InjectionMethod::file, "/etc/app.conf"}}, "file /etc/app.conf is written by both the command"},
      {{{"TOKEN", InjectionMethod::standard_input, ""}, {"KEY", InjectionMethod::standard_input, ""}},
       "stdin is given by both secret 'TOKEN' and secret 'KEY'"},
  };
  for (const auto& c : cases) {
    Command cmd = base;
    // A valid ref first: it must not be applied when a later one fails.
    std::vector<SecretRef> refs{{"TOKEN", InjectionMethod::env, "FIRST_OK"}};
    refs.insert(refs.end(), c.refs.begin(), c.refs.end());
    auto r = p.inject(refs, cmd);
    ASSERT_FALSE(r) << c.expect;
    EXPECT_EQ(r.error().code, ErrorCode::secret_error);
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_TRUE(same(cmd, base)) << "command changed by a failed inject: " << c.expect;
    expect_no_values(r.error());
  }
  Command with_stdin = base;
  with_stdin.stdin_data = "input";
  auto r = p.inject({{"KEY", InjectionMethod::standard_input, ""}}, with_stdin);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("stdin is given by both the command and secret 'KEY'"), std::string::npos);
}

TEST(Inject, BadTargetsAreErrors) {
  const auto p = proxy();
  for (const SecretRef& ref : std::vector<SecretRef>{{"TOKEN", InjectionMethod::env, "1BAD"},
                                                     {"TOKEN", InjectionMethod::env, "A=B"},
                                                     {"TOKEN", InjectionMethod::env, ""},
                                                     {"TOKEN", InjectionMethod::file, "relative/x"},
                                                     {"TOKEN", InjectionMethod::file, "/"},
                                                     {"TOKEN", InjectionMethod::file, "/run/../etc/shadow"},
                                                     {"TOKEN", InjectionMethod::file, "/run//x"},
                                                     {"TOKEN", InjectionMethod::file, "/run/dir/"}}) {
    Command cmd;
    auto r = p.inject({ref}, cmd);
    ASSERT_FALSE(r) << ref.target;
    EXPECT_EQ(r.error().code, ErrorCode::secret_error);
    expect_no_values(r.error());
  }
}

TEST(Inject, ValueWithNulCannotBeAnEnvironmentVariable) {
  CredentialProxy p;
  ASSERT_TRUE(p.add_value("BIN", std::string_view("ab\0cd", 5)));
  Command cmd;
  auto r = p.inject({{"BIN", InjectionMethod::env, "B"}}, cmd);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("NUL byte"), std::string::npos);
  ASSERT_TRUE(p.inject({{"BIN", InjectionMethod::file, "/s/bin"}}, cmd));
  EXPECT_EQ(cmd.files.at(0).content, std::string("ab\0cd", 5));
}

TEST(Inject, ValidateChecksWithoutCopyingValues) {
  const auto p = proxy();
  Command cmd;
  cmd.env = {{"T", "taken"}};
  EXPECT_TRUE(p.validate({{"TOKEN", InjectionMethod::env, "OTHER"}}, cmd));
  auto dup = p.validate({{"TOKEN", InjectionMethod::env, "T"}}, cmd);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("duplicate target"), std::string::npos);
  EXPECT_FALSE(p.validate({{"NOPE", InjectionMethod::standard_input, ""}}, cmd));
  EXPECT_EQ(cmd.env.size(), 1u);
}

TEST(Inject, ScrubWipesInjectedCopiesOnly) {
  const auto p = proxy();
  Command cmd;
  cmd.env = {{"PLAIN", "visible"}};
  ASSERT_TRUE(p.inject({{"TOKEN", InjectionMethod::env, "T"},
                        {"KEY", InjectionMethod::file, "/s/k"},
                        {"KEY", InjectionMethod::standard_input, ""}},
                       cmd));
  p.scrub(cmd);
  ASSERT_EQ(cmd.env.size(), 1u);
  EXPECT_EQ(cmd.env[0].second, "visible");
  EXPECT_TRUE(cmd.files.empty());
  EXPECT_FALSE(cmd.stdin_data);
}

TEST(Inject, ValuesAreOfferedForRedactionButNeverInJsonViews) {
  const auto p = proxy();
  const auto vals = p.values();
  EXPECT_EQ(vals.size(), 2u);
  // The names are what reaches audit events and JSON; the views only point at protected memory.
  AuditEvent ev;
  ev.type = AuditEventType::exec_started;
  ev.data = {{"secrets", p.names()}};
  const std::string json = to_json(ev).dump();
  EXPECT_NE(json.find("TOKEN"), std::string::npos);
  EXPECT_EQ(json.find(kToken), std::string::npos);
  EXPECT_EQ(json.find(kKey), std::string::npos);
}

}  // namespace
}  // namespace kavach
