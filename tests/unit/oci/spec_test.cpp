// config.json generation: the runtime-spec's required fields, and the policy's meaning in them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "backends/oci/mount_plan.hpp"
#include "backends/oci/seccomp_json.hpp"
#include "backends/oci/spec.hpp"
#include "core/sandbox_environment.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::oci {
namespace {

using nlohmann::json;

json spec_for(const SandboxPolicy& p) {
  SpecInput in;
  in.args = {"/bin/sh", "-c", "true"};
  auto env = container_env(p, {});
  EXPECT_TRUE(env.has_value());
  in.env = *env;
  in.uid = p.uid;
  in.gid = p.gid;
  in.hostname = p.hostname;
  in.readonly_root = p.fs.readonly_root;
  MountPlanInput mpi;
  mpi.policy = &p;
  auto plan = plan_mounts(mpi);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  in.mounts = plan->mounts;
  in.masked_paths = plan->masked_paths;
  in.readonly_paths = plan->readonly_paths;
  in.cwd = plan->cwd;
  in.id_mapping = IdMapping{};
  in.cgroups_path = "kavach/kavach-test";
  in.resources = resources_json(p.limits);
  auto prog = build_seccomp_program(p.seccomp);
  EXPECT_TRUE(prog.has_value());
  in.seccomp = seccomp_to_oci(*prog);
  in.rlimits = rlimits_json(p.limits);
  return build_spec(in);
}

bool has_namespace(const json& s, const std::string& type) {
  const auto& ns = s.at("linux").at("namespaces");
  return std::any_of(ns.begin(), ns.end(), [&](const json& n) { return n.at("type") == type; });
}

TEST(OciSpec, EveryPresetPassesTheSchemaChecks) {
  for (Preset preset : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) {
    const json s = spec_for(preset_policy(preset));
    auto ok = check_spec(s);
    EXPECT_TRUE(ok.has_value()) << to_string(preset) << ": " << ok.error().message;
    EXPECT_EQ(s.at("ociVersion"), kOciVersion);
  }
}

TEST(OciSpec, PolicyMeaningIsInTheSpec) {
  SandboxPolicy p = preset_policy(Preset::strict);
  const json s = spec_for(p);
  for (const char* ns : {"pid", "network", "mount", "ipc", "uts", "cgroup", "user"}) {
    EXPECT_TRUE(has_namespace(s, ns)) << ns;
  }
  // The container's ids map to unprivileged host ids, never to host root.
  for (const char* key : {"uidMappings", "gidMappings"}) {
    const auto& m = s.at("linux").at(key).at(0);
    EXPECT_EQ(m.at("containerID"), 0u);
    EXPECT_EQ(m.at("hostID"), kHostIdBase);
    EXPECT_NE(m.at("hostID"), 0u);
  }
  const auto& proc = s.at("process");
  EXPECT_EQ(proc.at("noNewPrivileges"), true);
  EXPECT_EQ(proc.at("terminal"), false);
  for (const char* set : {"bounding", "effective", "inheritable", "permitted", "ambient"}) {
    EXPECT_TRUE(proc.at("capabilities").at(set).empty()) << set;
  }
  EXPECT_EQ(s.at("root").at("readonly"), true);
  const auto& res = s.at("linux").at("resources");
  EXPECT_EQ(res.at("memory").at("limit"), *p.limits.memory_bytes);
  EXPECT_EQ(res.at("memory").at("swap"), *p.limits.memory_bytes + *p.limits.swap_bytes) << "OCI swap = memory+swap";
  EXPECT_EQ(res.at("pids").at("limit"), static_cast<std::int64_t>(*p.limits.pids));
  EXPECT_EQ(res.at("cpu").at("quota"), 100000) << "1 core";
  EXPECT_EQ(res.at("cpu").at("period"), 100000u);
  bool core0 = false;
  bool nofile = false;
  for (const auto& r : proc.at("rlimits")) {
    if (r.at("type") == "RLIMIT_CORE") core0 = r.at("hard") == 0u && r.at("soft") == 0u;
    if (r.at("type") == "RLIMIT_NOFILE") nofile = r.at("hard") == *p.limits.open_files;
  }
  EXPECT_TRUE(core0);
  EXPECT_TRUE(nofile);
  const auto& masked = s.at("linux").at("maskedPaths");
  EXPECT_NE(std::find(masked.begin(), masked.end(), "/proc/kcore"), masked.end());
  EXPECT_EQ(s.at("linux").at("seccomp").at("defaultAction"), "SCMP_ACT_ERRNO");
}

TEST(OciSpec, CapabilitiesKeptAreValidatedAndInEverySet) {
  auto caps = capability_set({"CAP_NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE"});
  ASSERT_TRUE(caps.has_value());
  EXPECT_EQ(caps->size(), 1u);
  auto bad = capability_set({"CAP_FLY"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(bad.error().message.find("CAP_FLY"), std::string::npos);
}

TEST(OciSpec, EnvironmentIsTheAllowListPlusInjectedValues) {
  ::setenv("KAVACH_SPEC_CANARY", "leak", 1);
  SandboxPolicy p = preset_policy(Preset::strict);
  p.env_allow = {"KAVACH_SPEC_ALLOWED"};
  ::setenv("KAVACH_SPEC_ALLOWED", "yes", 1);
  auto env = container_env(p, {{"INJECTED", "1"}});
  ::unsetenv("KAVACH_SPEC_CANARY");
  ::unsetenv("KAVACH_SPEC_ALLOWED");
  ASSERT_TRUE(env.has_value());
  EXPECT_EQ(*env, (std::vector<std::string>{"INJECTED=1", "KAVACH_SPEC_ALLOWED=yes", std::string("PATH=") + kDefaultPath}));
}

TEST(OciSpec, GvisorPidsLimitIncludesTheSentry) {
  ResourceLimits l;
  l.pids = 100;
  EXPECT_EQ(resources_json(l, 64).at("pids").at("limit"), 164);
}

// Each check names the field a runtime would reject.
TEST(OciSpec, SchemaChecksNameTheBrokenField) {
  const json good = spec_for(preset_policy(Preset::strict));
  struct Case {
    const char* field;
    std::function<void(json&)> breakit;
  };
  const std::vector<Case> cases = {
      {"ociVersion", [](json& s) { s.erase("ociVersion"); }},
      {"root.path", [](json& s) { s["root"]["path"] = ""; }},
      {"process.args", [](json& s) { s["process"]["args"] = json::array(); }},
      {"process.cwd", [](json& s) { s["process"]["cwd"] = "relative"; }},
      {"process.user", [](json& s) { s["process"]["user"].erase("uid"); }},
      {"mounts[].destination", [](json& s) { s["mounts"][0]["destination"] = "proc"; }},
      {"linux.namespaces[].type", [](json& s) { s["linux"]["namespaces"].push_back({{"type", "time-travel"}}); }},
      {"linux.uidMappings", [](json& s) { s["linux"]["uidMappings"][0].erase("size"); }},
      {"linux.seccomp.defaultAction", [](json& s) { s["linux"]["seccomp"].erase("defaultAction"); }},
      {"process.rlimits", [](json& s) { s["process"]["rlimits"][0]["type"] = "CORE"; }},
  };
  for (const auto& c : cases) {
    json s = good;
    c.breakit(s);
    auto r = check_spec(s);
    ASSERT_FALSE(r.has_value()) << c.field;
    EXPECT_EQ(r.error().context.at("field"), c.field);
  }
}

}  // namespace
}  // namespace kavach::oci
