// What kavach says is true (issue 13): no score for a backend that cannot run a command, the
// effective policy as JSON (not TOML inside JSON), and a schema_version on every --json output.
#include <gtest/gtest.h>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"
#include "run_kavach.hpp"
#include "support/temp_dir.hpp"

namespace kavach::cli {
namespace {

TEST(CliTruthful, ScoreOfABackendThatRunsNothingIsNotANumber) {
  for (BackendKind kind : kAllBackends) {
    auto b = create_backend(kind);
    ASSERT_TRUE(b) << to_string(kind);
    if ((*b)->maturity() == Maturity::runs_commands) continue;
    const std::string name(to_string(kind));
    const KavachRun text = run_kavach({"score", "--backend", name});
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_NE(text.out.find("backend " + name + ": cannot run here"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("/100"), std::string::npos) << name << " still shows a score:\n" << text.out;
    const KavachRun json = run_kavach({"score", "--backend", name, "--json"});
    const auto j = parse_json(json.out);
    EXPECT_TRUE(j.at("value").is_null()) << json.out;
    EXPECT_EQ(j.at("runnable"), false);
    EXPECT_EQ(j.at("schema_version"), 1);
    EXPECT_FALSE(j.at("reason").get<std::string>().empty());
  }
  const auto fc = parse_json(run_kavach({"score", "--backend", "firecracker", "--json"}).out);
  EXPECT_EQ(fc.at("maturity"), "not-implemented");
}

TEST(CliTruthful, ScoreOfARunnableBackendIsItsRequestedNumber) {
  const auto j = parse_json(run_kavach({"score", "--backend", "process", "--preset", "strict", "--json"}).out);
  EXPECT_TRUE(j.at("value").is_number_integer()) << j.dump();
  EXPECT_EQ(j.at("runnable"), true);
  EXPECT_EQ(j.at("basis"), "requested");
  EXPECT_TRUE(j.at("available").is_boolean());
}

TEST(CliTruthful, PolicyCheckJsonIsThePolicyNotToml) {
  test::TempDir dir;
  const auto file = dir / "p.toml";
  test::write_file(file, "extends = \"strict\"\n[limits]\nmemory = \"256M\"\n");
  const KavachRun r = run_kavach({"policy", "check", "--json", file.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = parse_json(r.out);
  EXPECT_FALSE(j.contains("policy_toml")) << r.out;
  EXPECT_EQ(j.at("valid"), true);
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_EQ(j.at("policy").at("limits").at("memory"), 256 << 20);
  EXPECT_EQ(j.at("policy").at("seccomp").at("mode"), "strict");
  EXPECT_TRUE(j.at("policy").at("fs").at("readonly_paths").is_array());
}

TEST(CliTruthful, RunJsonCarriesSchemaVersionHintsAndTheLimit) {
  const KavachRun r = run_kavach({"run", "--backend", "noop", "--json", "--output-limit", "4K", "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = parse_json(r.out);
  EXPECT_EQ(j.at("schema_version"), 1);
  EXPECT_TRUE(j.at("hints").is_array());
  EXPECT_EQ(j.at("output_limit_bytes"), 4096);
  EXPECT_TRUE(j.at("score").is_object());
  EXPECT_FALSE(j.contains("stdout_b64")) << "empty output is valid UTF-8";
  EXPECT_FALSE(j.contains("mount_plan")) << "only with -v";
}

TEST(CliTruthful, ListingsAreVersionedObjects) {
  const auto backends = parse_json(run_kavach({"backends", "--json"}).out);
  EXPECT_EQ(backends.at("schema_version"), 1);
  EXPECT_EQ(backends.at("backends").size(), kAllBackends.size());
  const auto doctor = parse_json(run_kavach({"doctor", "--json"}).out);
  EXPECT_EQ(doctor.at("schema_version"), 1);
  EXPECT_TRUE(doctor.contains("kernel_release"));
}

}  // namespace
}  // namespace kavach::cli
