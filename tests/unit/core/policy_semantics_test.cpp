// Policy semantics stated and checked: which lists replace the preset's and which extend it, and
// settings that contradict each other refused with file:line (docs/policy.md, "Replace or extend").
#include <gtest/gtest.h>

#include <algorithm>

#include "kavach/json.hpp"
#include "kavach/policy.hpp"
#include "exit_codes.hpp"

namespace kavach {
namespace {

Error conflict(std::string_view text) {
  auto r = parse_policy_toml(text, "p.toml");
  EXPECT_FALSE(r.has_value()) << "expected a conflict for:\n" << text;
  if (r) return Error{};
  EXPECT_EQ(r.error().code, ErrorCode::policy_conflict) << r.error().message;
  return r.error();
}

bool contains(const std::vector<std::filesystem::path>& list, const std::filesystem::path& p) {
  return std::find(list.begin(), list.end(), p) != list.end();
}

TEST(PolicySemantics, ListReplacesThePresetsList) {
  auto p = parse_policy_toml("extends = \"strict\"\n[fs]\nreadonly_paths = [\"/usr\"]\n", "p.toml");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->fs.readonly_paths, std::vector<std::filesystem::path>{"/usr"});
}

TEST(PolicySemantics, AddKeysExtendThePresetsListWithoutDuplicates) {
  auto p = parse_policy_toml(
      "extends = \"agent\"\nenv_allow_add = [\"EDITOR\", \"PATH\"]\n[fs]\nreadonly_paths_add = [\"/usr\", \"/tmp\"]\n"
      "protected_paths_add = [\"Makefile\"]\n",
      "p.toml");
  ASSERT_TRUE(p) << p.error().message;
  const SandboxPolicy agent = preset_policy(Preset::agent);
  EXPECT_EQ(p->fs.readonly_paths.size(), agent.fs.readonly_paths.size() + 1) << "/usr counted twice";
  EXPECT_TRUE(contains(p->fs.readonly_paths, "/lib"));
  EXPECT_TRUE(contains(p->fs.readonly_paths, "/tmp"));
  EXPECT_EQ(p->fs.protected_paths.size(), agent.fs.protected_paths.size() + 1);
  EXPECT_EQ(p->env_allow.back(), "EDITOR");
  EXPECT_EQ(std::count(p->env_allow.begin(), p->env_allow.end(), "PATH"), 1);
  // The effective policy, emitted, reads back the same (it spells the whole lists).
  auto again = parse_policy_toml(policy_to_toml(*p), "emitted.toml");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *p);
}

TEST(PolicySemantics, ReplaceAndAddTogetherIsAConflictAtTheAddLine) {
  Error e = conflict("extends = \"strict\"\n[fs]\nreadonly_paths = [\"/usr\"]\nreadonly_paths_add = [\"/tmp\"]\n");
  EXPECT_EQ(e.context["key"], "fs.readonly_paths_add");
  EXPECT_EQ(e.context["line"], "4");
  e = conflict("env_allow = [\"PATH\"]\nenv_allow_add = [\"HOME\"]\n");
  EXPECT_EQ(e.context["key"], "env_allow_add");
}

TEST(PolicySemantics, SeccompNoneWithExtraAllowIsAConflict) {
  Error e = conflict("[seccomp]\nmode = \"none\"\nextra_allow = [\"ptrace\"]\n");
  EXPECT_EQ(e.context["key"], "seccomp.extra_allow");
  EXPECT_EQ(e.context["line"], "3");
  EXPECT_NE(e.message.find("p.toml:3"), std::string::npos) << e.message;
  // extra_deny still means something without a policy filter.
  EXPECT_TRUE(parse_policy_toml("[seccomp]\nmode = \"none\"\nextra_deny = [\"ptrace\"]\n", "p.toml"));
}

TEST(PolicySemantics, CustomAllowOutsideCustomModeIsAConflict) {
  Error e = conflict("[seccomp]\nmode = \"strict\"\ncustom_allow = [\"read\"]\n");
  EXPECT_EQ(e.context["key"], "seccomp.custom_allow");
}

TEST(PolicySemantics, AllowListWithoutAllowlistModeIsAConflict) {
  Error e = conflict("extends = \"strict\"\n[network]\nallow = [\"pypi.org:443\"]\n");
  EXPECT_EQ(e.context["key"], "network.allow");
  EXPECT_EQ(e.context["line"], "3");
  e = conflict("[network]\nmode = \"loopback\"\nallow = [\"pypi.org:443\"]\n");
  EXPECT_NE(e.message.find("'loopback'"), std::string::npos) << e.message;
}

TEST(PolicySemantics, WorkdirOutsideEveryVisiblePathIsAConflict) {
  Error e = conflict("extends = \"strict\"\n[fs]\nworkdir = \"/var\"\n");
  EXPECT_EQ(e.context["key"], "fs.workdir");
  EXPECT_EQ(e.context["line"], "3");
  // Inside a readonly path, in the sandbox's own /tmp, or "/": visible.
  EXPECT_TRUE(parse_policy_toml("extends = \"strict\"\n[fs]\nworkdir = \"/usr/share\"\n", "p.toml"));
  EXPECT_TRUE(parse_policy_toml("extends = \"strict\"\n[fs]\nworkdir = \"/tmp\"\n", "p.toml"));
  EXPECT_TRUE(parse_policy_toml("extends = \"strict\"\n[fs]\nworkdir = \"/\"\n", "p.toml"));
}

TEST(PolicySemantics, ConflictsHoldForPoliciesBuiltInCode) {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.network.allow = {{"example.org", 443}};
  ASSERT_FALSE(validate_policy(p));
  EXPECT_EQ(validate_policy(p).error().code, ErrorCode::policy_conflict);
  p = preset_policy(Preset::minimal);
  p.seccomp.extra_allow = {"ptrace"};
  EXPECT_EQ(validate_policy(p).error().code, ErrorCode::policy_conflict);
  p = preset_policy(Preset::strict);
  p.fs.workdir = "/var";
  EXPECT_EQ(check_workdir_visible(p).error().code, ErrorCode::policy_conflict);
  EXPECT_EQ(cli_exit_code(ErrorCode::policy_conflict), 90);
}

TEST(PolicySemantics, JsonCarriesThePolicyFileKeys) {
  const SandboxPolicy p = preset_policy(Preset::agent);
  const nlohmann::json j = to_json(p);
  ASSERT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j.at("name"), "agent");
  EXPECT_EQ(j.at("seccomp").at("mode"), "strict");
  EXPECT_EQ(j.at("network").at("mode"), "off");
  EXPECT_EQ(j.at("limits").at("memory"), 2048ll << 20);
  EXPECT_TRUE(j.at("fs").at("readonly_paths").is_array());
  EXPECT_EQ(j.at("fs").at("protected_paths").size(), p.fs.protected_paths.size());
}

}  // namespace
}  // namespace kavach
