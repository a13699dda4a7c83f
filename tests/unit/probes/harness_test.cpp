// Unit tests of the probe harness's pure parts: result parsing, pinned comparison, the control
// matrix and the evidence-backed report, and policy -> probe expectations.
#include <gtest/gtest.h>

#include <algorithm>

#include "controls.hpp"
#include "evidence.hpp"
#include "kavach/score.hpp"
#include "policy_facts.hpp"
#include "results.hpp"

namespace kavach::probes {
namespace {

TEST(ProbeResults, ParsesJsonLines) {
  auto r = parse_probe_output(
      "{\"id\":\"H01\",\"verdict\":\"PASS\",\"errno\":\"OK\",\"detail\":\"only 0-2\",\"ms\":0.3}\n"
      "{\"id\":\"C01\",\"verdict\":\"FAIL\",\"errno\":\"EPERM\",\"detail\":\"Seccomp: 0\",\"ms\":1}\n");
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at("C01").verdict, "FAIL");
  EXPECT_EQ(r->at("C01").err, "EPERM");
  EXPECT_EQ(r->at("H01").detail, "only 0-2");
}

TEST(ProbeResults, RejectsGarbageWithLineNumber) {
  auto r = parse_probe_output("{\"id\":\"H01\",\"verdict\":\"PASS\",\"errno\":\"OK\",\"detail\":\"\"}\nnot json\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
}

TEST(ProbeResults, RejectsUnknownVerdict) {
  auto r = parse_probe_output("{\"id\":\"H01\",\"verdict\":\"MAYBE\",\"errno\":\"OK\",\"detail\":\"\"}\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("MAYBE"), std::string::npos);
}

TEST(ProbeResults, CompareReportsEveryDifference) {
  Expected e{"process", "strict", {{"H01", "PASS"}, {"H02", "PASS"}, {"H03", "SKIP"}}};
  Results actual;
  actual["H01"] = {"H01", "PASS", "OK", "", false};
  actual["H02"] = {"H02", "FAIL", "OK", "canary present", false};
  actual["H04"] = {"H04", "PASS", "OK", "", false};
  auto d = compare(e, actual);
  ASSERT_EQ(d.size(), 3u);  // H02 differs, H03 missing, H04 not pinned
  EXPECT_EQ(d[0].id, "H02");
  EXPECT_EQ(d[0].actual, "FAIL");
  EXPECT_EQ(d[1].actual, "(missing)");
  EXPECT_EQ(d[2].expected, "(not pinned)");
}

Results verdicts(std::initializer_list<std::pair<const char*, const char*>> v) {
  Results r;
  for (const auto& [id, verdict] : v) r[id] = {id, verdict, "OK", "", false};
  return r;
}

const ControlRow& row(const std::vector<ControlRow>& m, Control c) {
  return *std::find_if(m.begin(), m.end(), [c](const ControlRow& r) { return r.kavach_control == c; });
}

TEST(ProbeEvidence, AnyFailMeansNotHeldNoPassMeansUntested) {
  auto m = control_matrix(verdicts({{"C01", "PASS"}, {"C04", "FAIL"}, {"R03", "INFO"}, {"P01", "PASS"}}));
  EXPECT_EQ(row(m, Control::seccomp).held, Held::not_held);
  EXPECT_EQ(row(m, Control::cgroup_memory).held, Held::untested);
  EXPECT_EQ(row(m, Control::capabilities).held, Held::held);
}

TEST(ProbeEvidence, ScoreCountsOnlyProvenControls) {
  EnforcementReport claimed;
  claimed.set(Control::seccomp, true, true, "strict allowlist", "strict");
  claimed.set(Control::capabilities, true, true, "all dropped");
  claimed.set(Control::cgroup_memory, true, true, "512 MiB");
  auto m = control_matrix(verdicts({{"C01", "PASS"}, {"C04", "FAIL"}, {"P01", "PASS"}, {"R03", "INFO"}}));
  EnforcementReport proven = evidence_report(claimed, m);
  EXPECT_FALSE(proven.applied(Control::seccomp));
  EXPECT_NE(proven.find(Control::seccomp)->detail.find("C04"), std::string::npos);
  EXPECT_TRUE(proven.applied(Control::capabilities));
  EXPECT_FALSE(proven.applied(Control::cgroup_memory));
  EXPECT_LT(compute_score(BackendKind::process, proven).value, compute_score(BackendKind::process, claimed).value);
}

TEST(ProbeControlsTable, PolicyWeakeningsChangeThePolicy) {
  WeakenContext wc{"/tmp/secret-dir", "KAVACH_CANARY_X"};
  for (const auto& pc : probe_controls()) {
    if (pc.kind != Weakening::policy) continue;
    SandboxPolicy p = preset_policy(Preset::strict);
    const SandboxPolicy before = p;
    pc.weaken(p, wc);
    EXPECT_NE(p, before) << pc.id << ": weakening '" << pc.weakening << "' changed nothing";
  }
}

TEST(ProbePolicyFacts, StrictPromisesBecomeExpectations) {
  // strict asks for 60 s of CPU for the tree; RLIMIT_CPU is the per-process backstop at 61 s.
  auto args = expectation_args(preset_policy(Preset::strict));
  auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
  EXPECT_TRUE(has("--rlimits=core=0:0,nofile=256:256,fsize=67108864:67108864,cpu=61:61")) << args[0];
  EXPECT_TRUE(has("--pids-max=128"));
  EXPECT_TRUE(has("--cpu-quota=1.00"));
  EXPECT_TRUE(has("--memfd-exec=0"));
  EXPECT_TRUE(has("--capbnd=0"));
  EXPECT_EQ(capability_mask({"CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN", "CAP_NOPE"}), (1ULL << 10) | (1ULL << 21));
}

}  // namespace
}  // namespace kavach::probes
