// The flags users expect (issue 13): --cwd, --env NAME=VALUE / --env NAME, --may-degrade,
// --output-limit; and the contradictions between flags and a policy refused.
#include <gtest/gtest.h>

#include "kavach/error.hpp"
#include "cli_harness.hpp"
#include "policy_options.hpp"
#include "run_kavach.hpp"
#include "support/temp_dir.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

ParsedPolicy parse(std::vector<std::string> args) { return parse_policy_flags(std::move(args)); }

TEST(CliFlags, OutputLimitTakesASizeWithinTheFieldsRange) {
  auto p = parse({"--output-limit", "8M"});
  ASSERT_TRUE(p.policy) << p.policy.error().message;
  EXPECT_EQ(p.policy->limits.output_bytes, 8u << 20);
  EXPECT_EQ(parse({"--output-limit", "1"}).policy->limits.output_bytes, 1u);
  EXPECT_EQ(parse({"--output-limit", "1G"}).policy->limits.output_bytes, 1u << 30);
  for (const char* bad : {"0", "1025M", "2G", "-1", "5X", "M", "", "1.5M", "99999999999999999999G"}) {
    auto r = parse({"--output-limit", bad}).policy;
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
    EXPECT_EQ(r.error().context.at("flag"), "--output-limit");
    EXPECT_EQ(r.error().context.at("key"), "limits.output_bytes");
    EXPECT_NE(r.error().message.find("[1, 1073741824] bytes"), std::string::npos) << r.error().message;
  }
}

TEST(CliFlags, EnvPassesANameOrSetsAValue) {
  auto p = parse({"--env", "HOME", "--env", "FOO=bar=baz", "--env", "EMPTY="});
  ASSERT_TRUE(p.policy) << p.policy.error().message;
  EXPECT_EQ(p.policy->env_allow.back(), "HOME");
  EXPECT_EQ(std::count(p.policy->env_allow.begin(), p.policy->env_allow.end(), "FOO"), 0);
  const auto env = command_env(p.options);
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"FOO", "bar=baz"}));
  EXPECT_EQ(env[1], (std::pair<std::string, std::string>{"EMPTY", ""}));
  EXPECT_EQ(parse({"--env", "=value"}).policy.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(parse({"--env", ""}).policy.error().code, ErrorCode::invalid_argument);
}

TEST(CliFlags, MayDegradeIsRepeatableAndChecked) {
  auto p = parse({"--may-degrade", "cgroup_cpu", "--may-degrade", "landlock_net"});
  ASSERT_TRUE(p.policy) << p.policy.error().message;
  EXPECT_EQ(p.policy->may_degrade, (std::set<Control>{Control::cgroup_cpu, Control::landlock_net}));
  auto bad = parse({"--may-degrade", "selinux"}).policy;
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(bad.error().message.find("valid controls: ns_user"), std::string::npos) << bad.error().message;
}

TEST(CliFlags, CwdSetsTheWorkingDirectoryAndMustBeVisible) {
  test::TempDir dir;
  auto ok = parse({"--ro", dir.path().string(), "--cwd", dir.path().string()});
  ASSERT_TRUE(ok.policy) << ok.policy.error().message;
  EXPECT_EQ(ok.policy->fs.workdir, std::filesystem::canonical(dir.path()));
  EXPECT_EQ(parse({"--cwd", "/usr/share"}).policy->fs.workdir, "/usr/share");
  auto hidden = parse({"--cwd", dir.path().string()}).policy;
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::policy_conflict);
  EXPECT_EQ(hidden.error().context.at("flag"), "--cwd");
  EXPECT_NE(hidden.error().context.at("hint").find("--ro " + std::filesystem::canonical(dir.path()).string()),
            std::string::npos);
  // --cwd wins over the first --rw.
  test::TempDir other;
  auto both = parse({"--rw", dir.path().string(), "--rw", other.path().string(), "--cwd", other.path().string()});
  ASSERT_TRUE(both.policy) << both.policy.error().message;
  EXPECT_EQ(both.policy->fs.workdir, std::filesystem::canonical(other.path()));
}

TEST(CliFlags, PresetAndPolicyTogetherContradict) {
  test::TempDir dir;
  test::write_file(dir / "p.toml", "extends = \"strict\"\n");
  auto r = parse({"--preset", "basic", "--policy", (dir / "p.toml").string()}).policy;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("--preset and --policy contradict"), std::string::npos);
  EXPECT_TRUE(parse({"--policy", (dir / "p.toml").string()}).policy);
}

TEST(CliFlags, RwAgainstThePolicysWorkdirNeedsCwd) {
  test::TempDir dir;
  test::TempDir work;
  test::TempDir extra;
  const std::string w = std::filesystem::canonical(work.path()).string();
  const auto file = dir / "p.toml";
  test::write_file(file, "extends = \"agent\"\n[fs]\nwritable_paths = [\"" + w + "\"]\nworkdir = \"" + w + "\"\n");
  auto r = parse({"--policy", file.string(), "--rw", extra.path().string()}).policy;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::policy_conflict);
  EXPECT_NE(r.error().message.find(file.string() + ":4 sets fs.workdir = " + w), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().context.at("hint").find("--cwd " + w), std::string::npos);
  auto keep = parse({"--policy", file.string(), "--rw", extra.path().string(), "--cwd", w});
  ASSERT_TRUE(keep.policy) << keep.policy.error().message;
  EXPECT_EQ(keep.policy->fs.workdir, w);
  // The same directory as the policy's is no contradiction.
  EXPECT_TRUE(parse({"--policy", file.string(), "--rw", w}).policy);
}

TEST(CliFlags, ContradictionsReachTheCliWithFileAndLine) {
  test::TempDir dir;
  const auto file = dir / "net.toml";
  test::write_file(file, "extends = \"strict\"\n[network]\nmode = \"off\"\nallow = [\"pypi.org:443\"]\n");
  const KavachRun r = run_kavach({"run", "--backend", "noop", "--policy", file.string(), "--", "true"});
  EXPECT_EQ(r.status, cli_exit_code(ErrorCode::policy_conflict)) << r.err;
  EXPECT_NE(r.err.find("kavach: error [policy_conflict]: " + file.string() + ":4: network.allow"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace kavach::cli
