// The key table is the policy's one schema: the reader, the emitter and docs/policy.md follow it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/policy_keys.hpp"
#include "kavach/json.hpp"
#include "kavach/policy.hpp"
#include "kavach/policy_ranges.hpp"

namespace kavach {
namespace {

// Every field away from its default and from every preset's value.
SandboxPolicy every_field_set() {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.name = "everything";
  p.hostname = "box";
  p.uid = 7;
  p.gid = 8;
  p.env_allow = {"LANG"};
  p.keep_capabilities = {"CAP_NET_BIND_SERVICE"};
  p.may_degrade = {Control::cgroup_cpu};
  p.seccomp.extra_allow = {"chmod"};
  p.seccomp.extra_deny = {"mkdir"};
  p.seccomp.allow_memfd_exec = false;
  p.landlock = {true, {{"/usr", kAccessRead | kAccessExec}}, false, {8080}, {443}, false, false, 2};
  p.network.mode = NetworkMode::allowlist;
  p.network.allow = {{"example.com", 8443}};
  p.limits = {64u << 20, 0, 1.5, 32, 64, 1u << 20, 1u << 30, 5, 16, 2u << 20, std::chrono::milliseconds(1234),
              4096, 2u << 20};
  p.fs = {false, {"/usr", "/etc"}, {"/tmp"}, {".git/hooks"}, "/tmp"};
  p.oci = {"runc", true, "/usr", {}, "v1", "ptrace"};
  return p;
}

TEST(PolicyKeys, EveryFieldRoundTripsThroughTheTable) {
  const SandboxPolicy original = every_field_set();
  const std::string toml = policy_to_toml(original);
  auto again = parse_policy_toml(toml, "emitted.toml");
  ASSERT_TRUE(again.has_value()) << again.error().message << "\n" << toml;
  EXPECT_EQ(*again, original) << toml;
}

TEST(PolicyKeys, EveryKeyIsReadAndEveryWrittenOneEmitted) {
  SandboxPolicy p = every_field_set();
  p.oci.image = "/srv/image";  // not with rootfs in a valid policy; written all the same
  const std::string toml = "\n" + policy_to_toml(p);
  for (const PolicyKey& k : policy_keys()) {
    ASSERT_TRUE(k.read) << k.path;
    if (!k.emit) {
      EXPECT_TRUE(k.name().ends_with("_add")) << k.path << ": only the _add twins are never written";
      continue;
    }
    const std::string line = k.path == "landlock.paths" ? "[[landlock.paths]]" : "\n" + std::string(k.name()) + " = ";
    EXPECT_NE(toml.find(line), std::string::npos) << k.path << " is not in\n" << toml;
  }
}

// Every range of the range table belongs to a key that checks it on values built in code.
TEST(PolicyKeys, EveryRangeIsCheckedByItsKey) {
  for (const NumericRange* r : kNumericRanges) {
    const auto k = std::find_if(policy_keys().begin(), policy_keys().end(),
                                [&](const PolicyKey& key) { return key.path == r->key; });
    ASSERT_NE(k, policy_keys().end()) << r->key;
    EXPECT_TRUE(k->check) << r->key;
  }
  SandboxPolicy p = every_field_set();
  p.landlock.tcp_connect = {443, 0};
  auto v = validate_policy(p);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().context.at("key"), "landlock.tcp_connect[1]");
}

TEST(PolicyKeys, UnknownKeysListTheTablesOwn) {
  auto r = parse_policy_toml("[limits]\nmemroy = 1\n", "p.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::policy_unknown_key);
  for (const PolicyKey& k : policy_keys()) {
    if (k.section() != "limits") continue;
    EXPECT_NE(r.error().message.find(std::string(k.name())), std::string::npos) << k.path;
  }
}

// JSON policies (the C API, later the daemon) go through the same table and checks as files.
TEST(PolicyKeys, JsonPoliciesReadLikeFiles) {
  const SandboxPolicy original = every_field_set();
  auto again = parse_policy_json(to_json(original), "policy.json");
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, original);
  auto bad = parse_policy_json(nlohmann::json{{"limits", {{"memory", "1K"}}}}, "policy.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::policy_value);
  EXPECT_EQ(bad.error().context.at("key"), "limits.memory");
  EXPECT_EQ(bad.error().message.rfind("policy.json: ", 0), 0u) << bad.error().message;  // no line in JSON
  auto unknown = parse_policy_json(nlohmann::json{{"limits", {{"memroy", 1}}}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::policy_unknown_key);
  // Nesting no key has (a caller's JSON must not exhaust the conversion's stack).
  // Built by moves only: copying (or printing) 100,000 levels would itself exhaust the stack
  // (nlohmann's copy recurses; under ASan the frames are larger).
  nlohmann::json deep = nlohmann::json::array();
  for (int i = 0; i < 100000; ++i) {
    nlohmann::json outer = nlohmann::json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  std::vector<nlohmann::json> cases;
  cases.push_back(nlohmann::json::array());
  cases.push_back(nlohmann::json{{"name", nullptr}});
  cases.push_back(nlohmann::json::object());
  cases.back()["name"] = std::move(deep);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto r = parse_policy_json(cases[i]);
    ASSERT_FALSE(r) << "case " << i;
    EXPECT_EQ(r.error().code, ErrorCode::policy_type) << "case " << i;
  }
}

TEST(PolicyKeys, DocumentedTableMatchesTheCode) {
  std::ifstream in(std::string(KAVACH_SOURCE_DIR) + "/docs/policy.md");
  ASSERT_TRUE(in) << "docs/policy.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find(policy_keys_markdown()), std::string::npos)
      << "docs/policy.md's key table differs; it is:\n" << policy_keys_markdown();
}

}  // namespace
}  // namespace kavach
