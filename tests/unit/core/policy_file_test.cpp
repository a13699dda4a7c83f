// Policy files: one test per error class, plus round-trips and `extends`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "kavach/policy.hpp"

namespace kavach {
namespace {

Error parse_error(std::string_view text) {
  auto r = parse_policy_toml(text, "p.toml");
  EXPECT_FALSE(r.has_value()) << "expected an error for:\n" << text;
  return r ? Error{} : r.error();
}

TEST(PolicyFile, SyntaxErrorNamesLine) {
  Error e = parse_error("name = \"x\"\n[seccomp\nmode = \"strict\"\n");
  EXPECT_EQ(e.code, ErrorCode::policy_parse);
  EXPECT_EQ(e.context["line"], "2");
  EXPECT_NE(e.message.find("p.toml:2"), std::string::npos) << e.message;
}

TEST(PolicyFile, UnknownTopLevelKey) {
  Error e = parse_error("name = \"x\"\nnetwrok = 1\n");
  EXPECT_EQ(e.code, ErrorCode::policy_unknown_key);
  EXPECT_EQ(e.context["key"], "netwrok");
  EXPECT_EQ(e.context["line"], "2");
}

TEST(PolicyFile, UnknownNestedKeyNamesKeyPath) {
  Error e = parse_error("[limits]\nmemory = \"64M\"\nmemroy = 5\n");
  EXPECT_EQ(e.code, ErrorCode::policy_unknown_key);
  EXPECT_EQ(e.context["key"], "limits.memroy");
  EXPECT_EQ(e.context["line"], "3");
  EXPECT_NE(e.message.find("valid keys here"), std::string::npos);
}

TEST(PolicyFile, WrongType) {
  Error e = parse_error("[limits]\npids = \"many\"\n");
  EXPECT_EQ(e.code, ErrorCode::policy_type);
  EXPECT_EQ(e.context["key"], "limits.pids");
  EXPECT_NE(e.message.find("expected an integer"), std::string::npos);
}

TEST(PolicyFile, BadValue) {
  Error e = parse_error("[network]\nmode = \"everything\"\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
  EXPECT_EQ(e.context["key"], "network.mode");
}

TEST(PolicyFile, BadSize) {
  Error e = parse_error("[limits]\nmemory = \"12 parsecs\"\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
}

TEST(PolicyFile, UnknownSyscall) {
  Error e = parse_error("[seccomp]\nmode = \"strict\"\nextra_allow = [\"read\", \"frobnicate\"]\n");
  EXPECT_EQ(e.code, ErrorCode::unknown_syscall);
  EXPECT_EQ(e.context["key"], "seccomp.extra_allow[1]");
  EXPECT_NE(e.message.find("frobnicate"), std::string::npos);
  EXPECT_EQ(e.context["line"], "3");
}

TEST(PolicyFile, RelativePathWhereAbsoluteRequired) {
  Error e = parse_error("[fs]\nwritable_paths = [\"work\"]\n");
  EXPECT_EQ(e.code, ErrorCode::path_not_absolute);
  EXPECT_EQ(e.context["key"], "fs.writable_paths[0]");
}

TEST(PolicyFile, MissingPath) {
  // Found by the semantic pass, after parsing: it still names the entry and its line.
  Error e = parse_error("[fs]\nwritable_paths = [\"/tmp\",\n  \"/definitely/not/here/kavach\"]\n");
  EXPECT_EQ(e.code, ErrorCode::path_not_found);
  EXPECT_EQ(e.context["key"], "fs.writable_paths[1]");
  EXPECT_EQ(e.context["line"], "3");
  EXPECT_NE(e.message.find("p.toml:3: fs.writable_paths[1]"), std::string::npos) << e.message;
}

TEST(PolicyFile, SemanticErrorNamesLine) {
  Error e = parse_error("name = \"x\"\n[limits]\nmemory = \"1M\"\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
  EXPECT_EQ(e.context["key"], "limits.memory");
  EXPECT_EQ(e.context["line"], "3");
  EXPECT_NE(e.message.find("p.toml:3:"), std::string::npos) << e.message;
}

TEST(PolicyFile, EnvAllowEntryMustBeAName) {
  Error e = parse_error("env_allow = [\"HOME\", \"A=B\"]\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
  EXPECT_EQ(e.context["key"], "env_allow[1]");
  EXPECT_EQ(e.context["line"], "1");
}

TEST(PolicyFile, UnknownCapability) {
  Error e = parse_error("keep_capabilities = [\"CAP_FOO\"]\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
  EXPECT_EQ(e.context["key"], "keep_capabilities[0]");
  EXPECT_NE(e.message.find("CAP_FOO"), std::string::npos);
  EXPECT_TRUE(parse_policy_toml("keep_capabilities = [\"net_bind_service\"]\n", "p.toml").has_value());
}

TEST(PolicyFile, UnknownPresetInExtends) {
  Error e = parse_error("extends = \"paranoid\"\n");
  EXPECT_EQ(e.code, ErrorCode::unknown_preset);
  EXPECT_NE(e.message.find("minimal, basic, strict, agent"), std::string::npos);
}

TEST(PolicyFile, UnknownControlInMayDegrade) {
  Error e = parse_error("may_degrade = [\"seccomp\", \"magic\"]\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
}

TEST(PolicyFile, MissingFile) {
  auto r = load_policy_file("/nonexistent/kavach/policy.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::path_not_found);
}

TEST(PolicyFile, ExtendsPresetAndOverrides) {
  auto r = parse_policy_toml(
      "extends = \"agent\"\nmay_degrade = [\"cgroup_cpu\"]\n[limits]\nmemory = \"256M\"\npids = 64\n"
      "[network]\nmode = \"loopback\"\n[seccomp]\nextra_deny = [\"chmod\"]\n",
      "p.toml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  SandboxPolicy agent = preset_policy(Preset::agent);
  EXPECT_EQ(r->seccomp.mode, agent.seccomp.mode);
  EXPECT_EQ(r->fs.protected_paths, agent.fs.protected_paths);
  EXPECT_EQ(r->limits.memory_bytes, 256u << 20);
  EXPECT_EQ(r->limits.pids, 64u);
  EXPECT_EQ(r->network.mode, NetworkMode::loopback);
  EXPECT_EQ(r->seccomp.extra_deny, std::vector<std::string>{"chmod"});
  EXPECT_TRUE(r->may_degrade.count(Control::cgroup_cpu));
}

TEST(PolicyFile, LandlockPathTables) {
  auto r = parse_policy_toml("[[landlock.paths]]\npath = \"/usr\"\naccess = [\"read\", \"exec\"]\n", "p.toml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->landlock.paths.size(), 1u);
  EXPECT_EQ(r->landlock.paths[0].access, kAccessRead | kAccessExec);
  Error e = parse_error("[[landlock.paths]]\npath = \"/usr\"\naccess = [\"fly\"]\n");
  EXPECT_EQ(e.code, ErrorCode::policy_value);
}

TEST(PolicyFile, EmittedTomlRoundTrips) {
  for (Preset p : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) {
    SandboxPolicy original = preset_policy(p);
    auto again = parse_policy_toml(policy_to_toml(original), "emitted.toml");
    ASSERT_TRUE(again.has_value()) << to_string(p) << ": " << again.error().message;
    EXPECT_EQ(*again, original) << to_string(p);
  }
}

}  // namespace
}  // namespace kavach
