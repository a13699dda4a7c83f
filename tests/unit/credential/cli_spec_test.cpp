#include <gtest/gtest.h>
#include <stdlib.h>

#include "kavach/credential.hpp"
#include "support/temp_dir.hpp"
#include "credential_flags.hpp"

namespace kavach {
namespace {

using cli::load_credential_options;
using cli::parse_inject_spec;
using cli::parse_secret_spec;

TEST(SecretSpec, ParsesEachSource) {
  auto env = parse_secret_spec("TOKEN=env:GITHUB_TOKEN");
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(env->name, "TOKEN");
  EXPECT_EQ(env->source.kind, SecretSourceKind::env);
  EXPECT_EQ(env->source.location, "GITHUB_TOKEN");

  auto file = parse_secret_spec("db.pass=file:~/x=y:z");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->name, "db.pass");
  EXPECT_EQ(file->source.kind, SecretSourceKind::file);
  EXPECT_EQ(file->source.location, "~/x=y:z");  // everything after "file:" is the path

  auto cmd = parse_secret_spec("K=cmd:pass show a=b | head -1");
  ASSERT_TRUE(cmd) << cmd.error().message;
  EXPECT_EQ(cmd->source.kind, SecretSourceKind::command);
  EXPECT_EQ(cmd->source.location, "pass show a=b | head -1");
}

TEST(SecretSpec, RejectsMalformedSpecsPrecisely) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"TOKEN", "expected NAME=env:HOST_VAR, NAME=file:HOST_PATH or NAME=cmd:COMMAND"},
      {"=env:X", "invalid secret name ''"},
      {"9A=env:X", "invalid secret name '9A'"},
      {"A B=env:X", "invalid secret name 'A B'"},
      {"A=env:", "'' is not a valid environment variable name"},
      {"A=env:BAD-NAME", "'BAD-NAME' is not a valid environment variable name"},
      {"A=file:", "file: needs a host path"},
      {"A=cmd:  ", "cmd: needs a command"},
      {"A=value:hunter2", "unknown source 'value'"},
      {"A=hunter2", "unknown source 'hunter2'"},
  };
  for (const auto& [spec, expect] : cases) {
    auto r = parse_secret_spec(spec);
    ASSERT_FALSE(r) << spec;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << spec;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << spec << " -> " << r.error().message;
    EXPECT_EQ(r.error().context.at("option"), "--secret");
  }
}

TEST(InjectSpec, ParsesEachMethod) {
  auto env = parse_inject_spec("TOKEN=env:API_TOKEN");
  ASSERT_TRUE(env);
  EXPECT_EQ(*env, (SecretRef{"TOKEN", InjectionMethod::env, "API_TOKEN"}));
  auto file = parse_inject_spec("TOKEN=file:/run/secrets/token");
  ASSERT_TRUE(file);
  EXPECT_EQ(*file, (SecretRef{"TOKEN", InjectionMethod::file, "/run/secrets/token"}));
  auto in = parse_inject_spec("TOKEN=stdin");
  ASSERT_TRUE(in);
  EXPECT_EQ(*in, (SecretRef{"TOKEN", InjectionMethod::standard_input, ""}));
}

TEST(InjectSpec, EgressTargetsNameAVariableAHostAndAHeader) {
  auto r = parse_inject_spec("TOKEN=egress:GH_TOKEN@API.github.com/Authorization");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->method, InjectionMethod::egress);
  auto t = parse_egress_target(r->target);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->variable, "GH_TOKEN");
  EXPECT_EQ(t->host, "api.github.com");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->header, "Authorization");
  auto ip = parse_egress_target("K@127.0.0.1:8443/X-Api-Key");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->port, 8443);
}

TEST(InjectSpec, RejectsMalformedSpecsPrecisely) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"TOKEN", "expected NAME=env:VAR, NAME=file:/PATH/IN/SANDBOX, NAME=stdin or NAME=egress:VAR@HOST[:PORT]/HEADER"},
      {"T=env:1X", "'1X' is not a valid environment variable name"},
      {"T=file:relative", "absolute, normalized path"},
      {"T=file:/", "absolute, normalized path"},
      {"T=file:/a/../b", "absolute, normalized path"},
      {"T=file:/a/", "absolute, normalized path"},
      {"T=stdin:x", "unknown method 'stdin'"},
      {"T=pipe", "unknown method 'pipe'"},
      {"T=egress:api.github.com/Authorization", "missing '@' or '/'"},
      {"T=egress:1X@api.github.com/Authorization", "'1X' is not a variable name"},
      {"T=egress:GH@api.github.com/Bad Header", "not an HTTP header name"},
      {"T=egress:GH@*.github.com/Authorization", "one host, not a wildcard or a CIDR"},
      {"T=egress:GH@api.github.com:0/Authorization", "out of range"},
  };
  for (const auto& [spec, expect] : cases) {
    auto r = parse_inject_spec(spec);
    ASSERT_FALSE(r) << spec;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << spec;
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << spec << " -> " << r.error().message;
    EXPECT_EQ(r.error().context.at("option"), "--inject");
  }
}

TEST(CredentialOptions, LoadsSecretsAndChecksInjects) {
  ::setenv("KAVACH_TEST_CLI_SECRET", "cli-value-123", 1);
  auto opts = load_credential_options({"A=env:KAVACH_TEST_CLI_SECRET", "B=cmd:echo other-456"},
                                      {"A=env:TOKEN", "B=file:/run/b", "A=stdin"});
  ::unsetenv("KAVACH_TEST_CLI_SECRET");
  ASSERT_TRUE(opts) << opts.error().message;
  EXPECT_EQ(opts->refs.size(), 3u);
  Command cmd;
  ASSERT_TRUE(opts->proxy.inject(opts->refs, cmd));
  EXPECT_EQ(cmd.env.at(0).second, "cli-value-123");
  EXPECT_EQ(cmd.files.at(0).content, "other-456");
  EXPECT_EQ(*cmd.stdin_data, "cli-value-123");
}

TEST(CredentialOptions, UnknownNamesAndDuplicateTargetsFailUpFront) {
  auto unknown = load_credential_options({"A=cmd:echo aaaa"}, {"B=env:X"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::secret_error);
  EXPECT_NE(unknown.error().message.find("unknown secret 'B'"), std::string::npos);
  EXPECT_EQ(unknown.error().context.at("reason"), "unknown_name");

  auto dup = load_credential_options({"A=cmd:echo aaaa", "B=cmd:echo bbbb"}, {"A=env:X", "B=env:X"});
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("duplicate target"), std::string::npos);
  EXPECT_EQ(dup.error().context.at("reason"), "duplicate_target");

  auto twice = load_credential_options({"A=cmd:echo aaaa", "A=cmd:echo bbbb"}, {});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("registered twice"), std::string::npos);

  auto short_value = load_credential_options({"A=cmd:echo a"}, {"A=env:X"});
  ASSERT_FALSE(short_value);
  EXPECT_EQ(short_value.error().context.at("reason"), "too_short");
}

TEST(CredentialOptions, NoSourceIsReadWhenAnySpecIsMalformed) {
  test::TempDir dir;
  const auto marker = dir / "ran";
  auto r = load_credential_options({"A=cmd:touch " + marker.string() + "; echo v"}, {"A=env:1BAD"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the secret command ran despite a malformed --inject";
}

}  // namespace
}  // namespace kavach
