// What a policy requests is decided once (core/controls.hpp): the score's requested view and the
// enforcement reports the process and OCI backends plan must say the same for every control
// they record. A backend that starts deciding "requested" on its own fails here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backends/oci/controls.hpp"
#include "backends/process/control_plan.hpp"
#include "core/controls.hpp"
#include "kavach/score.hpp"
#include "support/hosts.hpp"

namespace kavach {
namespace {


struct Named {
  std::string name;
  SandboxPolicy policy;
};

std::vector<Named> policies() {
  std::vector<Named> out;
  for (Preset p : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) {
    out.push_back({std::string(to_string(p)), preset_policy(p)});
  }
  SandboxPolicy allow = preset_policy(Preset::strict);
  allow.network.mode = NetworkMode::allowlist;
  allow.network.allow = {{"pypi.org", 443}};
  out.push_back({"strict+allowlist", allow});
  SandboxPolicy loose = preset_policy(Preset::minimal);
  loose.seccomp.mode = SeccompMode::none;
  loose.landlock.enabled = false;
  loose.fs.readonly_root = false;
  out.push_back({"minimal without seccomp, Landlock, read-only root", loose});
  return out;
}

void expect_agrees(const std::string& who, const EnforcementReport& report, const SandboxPolicy& p) {
  for (const RequestedControl& q : requested_controls(p)) {
    const ControlStatus* s = report.find(q.control);
    if (s == nullptr) continue;  // settled later (cgroup placement, launch) or not this backend's
    EXPECT_EQ(s->requested, q.requested) << who << ": " << to_string(q.control);
  }
}

TEST(ControlRequests, ScoreAndBackendsAgreeWithTheOneDefinition) {
  for (const auto& [name, p] : policies()) {
    SCOPED_TRACE(name);
    expect_agrees("score", requested_report(BackendKind::process, p), p);
    auto proc = process::plan_controls(test::full_host(), p, process::IdentityOptions{});
    ASSERT_TRUE(proc.has_value()) << proc.error().describe();
    expect_agrees("process", proc->report, p);
    SandboxPolicy oci_policy = p;
    oci_policy.limits.cpu_time_seconds.reset();  // needs cgroup CPU accounting this host lacks
    oci_policy.landlock.enabled = false;         // runtimes have no Landlock: fail closed
    for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
      oci::RuntimeChoice rt;
      rt.flavor = kind == BackendKind::gvisor ? oci::RuntimeFlavor::runsc : oci::RuntimeFlavor::runc;
      rt.name = kind == BackendKind::gvisor ? "runsc" : "runc";
      auto c = oci::plan_oci_controls(kind, test::full_host(), oci_policy, rt);
      if (!c) {
        // Only fail-closed refusals are acceptable here (a control this backend cannot give).
        EXPECT_EQ(c.error().code, ErrorCode::control_unavailable) << c.error().describe();
        continue;
      }
      expect_agrees(std::string(to_string(kind)), c->report, oci_policy);
    }
  }
}

TEST(ControlRequests, SettleAppliesDegradesOrFailsClosedByThePolicy) {
  SandboxPolicy p = preset_policy(Preset::strict);
  EnforcementReport r;
  ASSERT_TRUE(settle_control(r, p, Control::disk, true, "project quota").has_value());
  EXPECT_TRUE(r.find(Control::disk)->applied);
  auto closed = settle_control(r, p, Control::cgroup_memory, false, "no memory controller");
  ASSERT_FALSE(closed.has_value());
  EXPECT_EQ(closed.error().code, ErrorCode::control_unavailable);
  EXPECT_NE(closed.error().message.find("cgroup_memory"), std::string::npos);
  EXPECT_NE(closed.error().message.find("no memory controller"), std::string::npos);
  p.may_degrade.insert(Control::cgroup_memory);
  ASSERT_TRUE(settle_control(r, p, Control::cgroup_memory, false, "no memory controller").has_value());
  const ControlStatus* s = r.find(Control::cgroup_memory);
  EXPECT_TRUE(s->requested);
  EXPECT_FALSE(s->applied);
  EXPECT_NE(s->detail.find("degraded"), std::string::npos);
}

}  // namespace
}  // namespace kavach
