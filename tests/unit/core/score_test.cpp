#include <gtest/gtest.h>

#include <numeric>

#include "kavach/score.hpp"

namespace kavach {
namespace {

int sum(const StrengthScore& s) {
  return std::accumulate(s.breakdown.begin(), s.breakdown.end(), 0,
                         [](int acc, const ScoreItem& i) { return acc + i.points; });
}

TEST(Score, BasesMatchTheTable) {
  EXPECT_EQ(base_score(BackendKind::noop), 0);
  EXPECT_EQ(base_score(BackendKind::process), 50);
  EXPECT_EQ(base_score(BackendKind::oci), 55);
  EXPECT_EQ(base_score(BackendKind::wasm), 65);
  EXPECT_EQ(base_score(BackendKind::gvisor), 70);
  EXPECT_EQ(base_score(BackendKind::sgx), 80);
  EXPECT_EQ(base_score(BackendKind::syagnos), 80);
  EXPECT_EQ(base_score(BackendKind::sev), 82);
  EXPECT_EQ(base_score(BackendKind::tdx), 85);
  EXPECT_EQ(base_score(BackendKind::firecracker), 90);
}

TEST(Score, LabelsAtBoundaries) {
  EXPECT_EQ(score_label(0), "minimal");
  EXPECT_EQ(score_label(29), "minimal");
  EXPECT_EQ(score_label(30), "basic");
  EXPECT_EQ(score_label(49), "basic");
  EXPECT_EQ(score_label(50), "standard");
  EXPECT_EQ(score_label(69), "standard");
  EXPECT_EQ(score_label(70), "hardened");
  EXPECT_EQ(score_label(84), "hardened");
  EXPECT_EQ(score_label(85), "fortress");
  EXPECT_EQ(score_label(100), "fortress");
}

TEST(Score, EmptyReportIsBaseOnly) {
  EnforcementReport r;
  auto s = compute_score(BackendKind::process, r);
  EXPECT_EQ(s.value, 50);
  EXPECT_EQ(s.breakdown.size(), 1u);
  EXPECT_EQ(s.breakdown[0].label, "base: process");
}

TEST(Score, OnlyAppliedControlsCount) {
  EnforcementReport r;
  r.set(Control::seccomp, true, true, "strict", "strict");
  r.set(Control::landlock_fs, true, false, "ABI too low");  // requested, not applied
  r.set(Control::cgroup_pids, true, true);
  auto s = compute_score(BackendKind::process, r);
  EXPECT_EQ(s.value, 50 + 6 + 2);
  EXPECT_EQ(sum(s), s.value) << "breakdown must add up to the value";
  bool shows_gap = false;
  for (const auto& i : s.breakdown) shows_gap = shows_gap || i.label.find("not applied: landlock_fs") == 0;
  EXPECT_TRUE(shows_gap);
}

TEST(Score, SeccompModeDecidesPoints) {
  EnforcementReport basic;
  basic.set(Control::seccomp, true, true, "", "basic");
  EXPECT_EQ(compute_score(BackendKind::process, basic).value, 53);
  EnforcementReport strict;
  strict.set(Control::seccomp, true, true, "", "strict");
  EXPECT_EQ(compute_score(BackendKind::process, strict).value, 56);
}

TEST(Score, NamespacesNeedAllFour) {
  EnforcementReport r;
  r.set(Control::ns_pid, true, true);
  r.set(Control::ns_mount, true, true);
  r.set(Control::ns_ipc, true, true);
  EXPECT_EQ(compute_score(BackendKind::process, r).value, 50);
  r.set(Control::ns_uts, true, true);
  EXPECT_EQ(compute_score(BackendKind::process, r).value, 51);
}

TEST(Score, ClampedAt100) {
  auto s = requested_score(BackendKind::firecracker, preset_policy(Preset::strict));
  EXPECT_EQ(s.value, 100);
  EXPECT_EQ(s.label, "fortress");
  EXPECT_GT(sum(s), 100);
}

TEST(Score, RequestedScoreOfPresets) {
  EXPECT_EQ(requested_score(BackendKind::process, preset_policy(Preset::strict)).value, 82);
  EXPECT_LT(requested_score(BackendKind::process, preset_policy(Preset::minimal)).value,
            requested_score(BackendKind::process, preset_policy(Preset::basic)).value);
  EXPECT_LT(requested_score(BackendKind::process, preset_policy(Preset::basic)).value,
            requested_score(BackendKind::process, preset_policy(Preset::strict)).value);
}

TEST(Score, NoopEnforcesNothing) {
  auto s = requested_score(BackendKind::noop, preset_policy(Preset::strict));
  EXPECT_EQ(s.value, 0);
  EXPECT_EQ(s.basis, "requested");
}

// The requested score must not promise what the backend cannot apply: OCI runtimes have no
// Landlock, so strict on oci asks for 87 but a run can reach 81 (the enforced score of a real
// runc run on this host) and gvisor 96, not 100.
TEST(Score, RequestedScoreCountsOnlyControlsTheBackendOffers) {
  const SandboxPolicy strict = preset_policy(Preset::strict);
  EXPECT_EQ(requested_score(BackendKind::oci, strict).value, 81);
  EXPECT_EQ(requested_score(BackendKind::gvisor, strict).value, 96);
  const EnforcementReport r = requested_report(BackendKind::oci, strict);
  const ControlStatus* ll = r.find(Control::landlock_fs);
  ASSERT_NE(ll, nullptr);
  EXPECT_TRUE(ll->requested);
  EXPECT_FALSE(ll->applied);
  EXPECT_NE(ll->detail.find("not offered by the oci backend"), std::string::npos) << ll->detail;
  EXPECT_TRUE(r.applied(Control::seccomp));
  EXPECT_FALSE(backend_offers(BackendKind::gvisor, Control::landlock_net));
  EXPECT_TRUE(backend_offers(BackendKind::process, Control::landlock_net));
}

TEST(Score, EnforcedScoreSaysSo) {
  EnforcementReport r;
  r.set(Control::seccomp, true, true, "", "strict");
  EXPECT_EQ(compute_score(BackendKind::process, r).basis, "enforced");
}

}  // namespace
}  // namespace kavach
