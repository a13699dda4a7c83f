// The adversarial probe suite against real backends (integration: real kernel, real sandbox).
//  * every probe has an entry in the controls table (probe -> control -> weakening);
//  * under each backend/preset the verdicts equal the pinned ones in expected/<backend>-<preset>.json
//    (KAVACH_PROBES_UPDATE=1 rewrites the file instead, for review in git);
//  * negative controls: with each probe's control switched off, the probe reports FAIL.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <filesystem>

#include "backend_runner.hpp"
#include "backends/oci/oci_backend.hpp"
#include "backends/process/process_backend.hpp"
#include "backends/process/warm_pool.hpp"
#include "canaries.hpp"
#include "controls.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "negative.hpp"
#include "policy_facts.hpp"
#include "results.hpp"
#include "runner.hpp"
#include "suite.hpp"

namespace kavach::probes {
namespace {

const char* const kProbe = KAVACH_PROBE_BUILD_PATH;
const char* const kExpectedDir = KAVACH_PROBES_EXPECTED_DIR;

std::vector<std::string> probe_ids() {
  auto out = capture_command({kProbe, "list"});
  std::vector<std::string> ids;
  if (!out) return ids;
  std::size_t pos = 0;
  while (pos < out->size()) {
    auto nl = out->find('\n', pos);
    if (nl == std::string::npos) nl = out->size();
    std::string line = out->substr(pos, nl - pos);
    if (!line.empty()) ids.push_back(line.substr(0, line.find(' ')));
    pos = nl + 1;
  }
  return ids;
}

// One set of canaries per test binary, the backends under test built directly (the factory
// may not list them yet); results cached per backend and preset.
struct World {
  std::unique_ptr<Canaries> canaries;
  std::string skip_reason;  // no canaries: nothing runs
  std::map<BackendKind, std::shared_ptr<Backend>> backends;
  std::map<BackendKind, std::string> unavailable;  // why a backend cannot run here
  std::map<std::tuple<BackendKind, Preset, bool>, Results> positive;  // bool: the allowlist variant
};

World& world() {
  static World w = [] {
    World x;
    CanaryOptions co;
    co.probe_binary = kProbe;
    auto c = Canaries::create(co);
    if (!c) {
      x.skip_reason = "canaries: " + c.error().describe();
      return x;
    }
    x.canaries = std::move(*c);
    const HostInfo& host = probe_host_cached();
    std::vector<std::pair<BackendKind, std::shared_ptr<Backend>>> all = {
        {BackendKind::process, process::make_process_backend(host)},
        {BackendKind::oci, oci::make_oci_backend(host, "runc")},
        {BackendKind::gvisor, oci::make_gvisor_backend(host)}};
    for (auto& [kind, b] : all) {
      Availability av = b->availability();
      if (av.available) {
        x.backends[kind] = std::move(b);
      } else {
        x.unavailable[kind] = std::string(to_string(kind)) + " backend unavailable on this host: " + av.reason;
      }
    }
    return x;
  }();
  return w;
}

// Empty when the backend can run the suite here, else why not (the test is skipped with it).
std::string skip_reason(BackendKind kind) {
  auto& w = world();
  if (!w.skip_reason.empty()) return w.skip_reason;
  auto it = w.unavailable.find(kind);
  return it == w.unavailable.end() ? std::string() : it->second;
}

// allowlist: the preset with network mode allowlist (one harmless entry, so the proxy runs and
// refuses the harness's listener): the pinned files <backend>-<preset>-allowlist.json.
SandboxPolicy policy_for(Preset p, bool allowlist = false) {
  Canaries& c = *world().canaries;
  SandboxPolicy policy = probe_policy(preset_policy(p), {std::filesystem::path(kProbe).parent_path(), c.bindir(),
                                                         c.workdir(), c.protected_dir()});
  if (allowlist) {
    policy.network.mode = NetworkMode::allowlist;
    policy.network.allow = {{"127.0.0.1", 1}};
  }
  return policy;
}

std::string pinned_name(BackendKind kind, Preset preset, bool allowlist) {
  return std::string(kExpectedDir) + "/" + std::string(to_string(kind)) + "-" + std::string(to_string(preset)) +
         (allowlist ? "-allowlist" : "") + ".json";
}

Result<Results> positive_run(BackendKind kind, Preset preset, bool allowlist) {
  auto& w = world();
  if (auto it = w.positive.find({kind, preset, allowlist}); it != w.positive.end()) return it->second;
  SandboxPolicy policy = policy_for(preset, allowlist);
  // gVisor's sentry has no seccomp user notification, so kavach-guard cannot run there: the
  // harness's protected path is degraded (still a read-only bind, as it exists) and F13/C12 show
  // what that leaves open.
  if (kind == BackendKind::gvisor) policy.may_degrade.insert(Control::protected_paths);
  BackendRunner runner(w.backends.at(kind), policy, kProbe);
  SuiteOptions so;
  so.extra_args = expectation_args(policy);
  so.output_cap = policy.limits.output_bytes;
  so.emulated_kernel = kind == BackendKind::gvisor;
  auto r = run_suite(runner, *w.canaries, so);
  if (!r) return tl::unexpected(r.error());
  for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
  w.positive[{kind, preset, allowlist}] = r->results;
  return r->results;
}

void expect_pinned(BackendKind kind, Preset preset, bool allowlist = false) {
  if (auto why = skip_reason(kind); !why.empty()) GTEST_SKIP() << why;
  auto results = positive_run(kind, preset, allowlist);
  ASSERT_TRUE(results) << results.error().describe();
  const std::string backend(to_string(kind));
  const std::string file = pinned_name(kind, preset, allowlist);
  if (std::getenv("KAVACH_PROBES_UPDATE") != nullptr) {
    Expected e{backend, std::string(to_string(preset)), {}};
    for (const auto& [id, r] : *results) e.verdicts[id] = r.verdict;
    std::ofstream(file) << expected_to_json(e, *results);
    GTEST_SKIP() << "rewrote " << file << " — review it with git diff";
  }
  auto expected = load_expected(file);
  ASSERT_TRUE(expected) << expected.error().describe();
  auto diffs = compare(*expected, *results);
  for (const auto& d : diffs) {
    ADD_FAILURE() << d.id << ": pinned " << d.expected << ", got " << d.actual << " — " << d.detail;
  }
  EXPECT_EQ(results->size(), expected->verdicts.size());
}

TEST(ProbeControls, TableCoversEveryProbe) {
  auto ids = probe_ids();
  ASSERT_GE(ids.size(), 97u) << "kavach-probe list returned too few probes";
  for (const auto& id : ids) {
    const ProbeControl* pc = find_probe_control(id);
    ASSERT_NE(pc, nullptr) << id << " has no entry in the controls table";
    if (pc->kind == Weakening::policy) {
      EXPECT_NE(pc->weaken, nullptr) << id;
    }
    EXPECT_FALSE(pc->weakening.empty()) << id;
  }
  EXPECT_EQ(probe_controls().size(), ids.size()) << "table lists probes the binary does not have";
}

// Bad input to the probe binary is refused with a precise message and status 2, never ignored
// (a typo in an expectation must not silently turn a check into a SKIP).
TEST(ProbeBinary, RejectsBadInput) {
  DirectRunner runner(kProbe);
  struct Case {
    std::vector<std::string> argv;
    const char* message;
  };
  for (const Case& c : {Case{{kProbe, "Z99"}, "unknown selector: Z99"},
                        Case{{kProbe, "H01", "--no-such-key=1"}, "unknown key: no-such-key"},
                        Case{{kProbe, "H01", "--workdir"}, "option without value: --workdir"},
                        Case{{kProbe}, "nothing selected"}}) {
    RunSpec spec;
    spec.argv = c.argv;
    auto r = runner.run(spec);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->exit_code, 2) << c.message;
    EXPECT_NE(r->stderr_data.find(c.message), std::string::npos) << r->stderr_data;
    EXPECT_TRUE(r->stdout_data.empty()) << "no verdicts on bad input";
  }
}

TEST(ProbeSuiteProcess, StrictMatchesPinned) { expect_pinned(BackendKind::process, Preset::strict); }

// The process backend's warm start (WarmPool: pooled single-use sandboxes) must give every probe
// the verdict a cold start gives: the same pinned file. Runs whose policy differs from the
// pool's (not only in the wall timeout) and forked launchers (the tty probes) start cold.
class WarmStrict : public Backend {
 public:
  explicit WarmStrict(std::unique_ptr<process::WarmPool> pool, std::shared_ptr<Backend> cold)
      : pool_(std::move(pool)), cold_(std::move(cold)) {}
  BackendKind kind() const override { return BackendKind::process; }
  Maturity maturity() const override { return Maturity::runs_commands; }
  Availability availability() const override { return cold_->availability(); }
  Result<void> health_check() override { return {}; }
  Result<void> destroy() override { return {}; }
  Result<ExecResult> run(const ValidPolicy& valid, const Command& cmd) override {
    const SandboxPolicy& policy = valid;
    SandboxPolicy same = policy;
    same.limits.wall_timeout = pool_->policy().limits.wall_timeout;
    if (!(same == pool_->policy())) {
      ++other_policy_runs;
      return cold_->exec(valid, cmd);
    }
    (void)pool_->wait_full(std::chrono::seconds(10));  // every probe that can run warm does
    note_pooled_cgroups();
    auto r = pool_->exec(cmd, policy.limits.wall_timeout);
    note_pooled_cgroups();
    if (r && r->backend_info["start"] != "cold") ++warm_runs;
    ++runs;
    return r;
  }
  int runs = 0;
  int warm_runs = 0;
  int other_policy_runs = 0;
  std::set<std::string> pooled_cgroups;  // every cgroup directory an idle pooled sandbox had
  void destroy_pool() { pool_.reset(); }

 private:
  void note_pooled_cgroups() {
    for (pid_t pid : pool_->idle_pids()) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
      std::string line;
      while (std::getline(in, line)) {
        const auto a = line.find(':');
        const auto b = line.find(':', a + 1);
        const std::string ctrl = line.substr(a + 1, b - a - 1);
        const std::string path = line.substr(b + 1);
        if (path.find("/kavach/run-") == std::string::npos) continue;
        pooled_cgroups.insert(std::string("/sys/fs/cgroup/") + (ctrl.empty() ? "unified" : ctrl) + path);
      }
    }
  }

 public:

 private:
  std::unique_ptr<process::WarmPool> pool_;
  std::shared_ptr<Backend> cold_;
};

TEST(ProbeSuiteProcessWarm, StrictMatchesPinned) {
  if (auto why = skip_reason(BackendKind::process); !why.empty()) GTEST_SKIP() << why;
  auto& w = world();
  const SandboxPolicy policy = policy_for(Preset::strict);
  auto pool = process::WarmPool::create(probe_host_cached(), process::default_process_options(), policy, 2);
  ASSERT_TRUE(pool) << pool.error().describe();
  auto warm = std::make_shared<WarmStrict>(std::move(*pool), w.backends.at(BackendKind::process));
  BackendRunner runner(warm, policy, kProbe);
  SuiteOptions so;
  so.extra_args = expectation_args(policy);
  so.output_cap = policy.limits.output_bytes;
  auto r = run_suite(runner, *w.canaries, so);
  ASSERT_TRUE(r) << r.error().describe();
  auto expected = load_expected(std::string(kExpectedDir) + "/process-strict.json");
  ASSERT_TRUE(expected) << expected.error().describe();
  warm->destroy_pool();
  for (const auto& d : compare(*expected, r->results)) {
    if (d.id == "T03" && d.actual == "FAIL") {
      // T03 lists run cgroups present after the runs; the pool's idle sandboxes are live runs
      // waiting for a command, not leftovers. Accept only those, and only if they are gone
      // once the pool is destroyed.
      bool only_pooled = true;
      std::size_t at = 0;
      const std::string key = "cgroup left: ";
      while ((at = d.detail.find(key, at)) != std::string::npos) {
        at += key.size();
        const std::string path = d.detail.substr(at, d.detail.find(';', at) - at);
        const bool pooled = warm->pooled_cgroups.count(path) != 0;
        EXPECT_TRUE(pooled) << "T03: " << path << " was no idle pooled sandbox's cgroup";
        EXPECT_FALSE(std::filesystem::exists(path)) << "T03: " << path << " outlived the pool";
        only_pooled = only_pooled && pooled && !std::filesystem::exists(path);
      }
      if (d.detail.find("left ") == std::string::npos && d.detail.find("setuid") == std::string::npos &&
          only_pooled) {
        std::printf("T03: only idle pooled sandboxes' cgroups were listed; all gone with the pool\n");
        continue;
      }
    }
    ADD_FAILURE() << d.id << ": pinned " << d.expected << ", got " << d.actual << " — " << d.detail;
  }
  EXPECT_EQ(r->results.size(), expected->verdicts.size());
  std::printf("warm starts: %d of %d runs through the pool; %d runs with another policy (cold)\n",
              warm->warm_runs, warm->runs, warm->other_policy_runs);
  EXPECT_GT(warm->warm_runs, warm->runs * 3 / 4) << "most probes must have run warm";
}
TEST(ProbeSuiteProcess, AgentMatchesPinned) { expect_pinned(BackendKind::process, Preset::agent); }
// minimal: no seccomp policy, no Landlock — what must hold anyway (host safety, own keyring).
TEST(ProbeSuiteProcess, MinimalMatchesPinned) { expect_pinned(BackendKind::process, Preset::minimal); }
// runc (crun refuses hybrid cgroup hosts) and runsc; skipped with the reason where absent.
TEST(ProbeSuiteOci, StrictMatchesPinned) { expect_pinned(BackendKind::oci, Preset::strict); }
TEST(ProbeSuiteOci, AgentMatchesPinned) { expect_pinned(BackendKind::oci, Preset::agent); }
TEST(ProbeSuiteOci, MinimalMatchesPinned) { expect_pinned(BackendKind::oci, Preset::minimal); }
TEST(ProbeSuiteGvisor, StrictMatchesPinned) { expect_pinned(BackendKind::gvisor, Preset::strict); }
TEST(ProbeSuiteGvisor, MinimalMatchesPinned) { expect_pinned(BackendKind::gvisor, Preset::minimal); }
// Network mode allowlist: the egress proxy is the only way out (N03, N10 and the rest unchanged).
TEST(ProbeSuiteProcess, AgentAllowlistMatchesPinned) { expect_pinned(BackendKind::process, Preset::agent, true); }
TEST(ProbeSuiteOci, AgentAllowlistMatchesPinned) { expect_pinned(BackendKind::oci, Preset::agent, true); }
// runsc cannot host the proxy's listener: the run is refused, naming the control.
TEST(ProbeSuiteGvisor, AgentAllowlistMatchesPinned) { expect_pinned(BackendKind::gvisor, Preset::agent, true); }

// Runs the negative controls of `ids` (all probes when empty) for one preset of the process backend.
void expect_negative_controls(Preset preset, std::vector<std::string> ids, bool allowlist = false) {
  if (auto why = skip_reason(BackendKind::process); !why.empty()) GTEST_SKIP() << why;
  // The pinned verdicts stand in for the positive run (a probe the kernel cannot support is
  // pinned SKIP and may stay SKIP under its negative control).
  auto pinned = load_expected(pinned_name(BackendKind::process, preset, allowlist));
  ASSERT_TRUE(pinned) << pinned.error().describe();
  Results positive;
  for (const auto& [id, v] : pinned->verdicts) positive[id] = ProbeResult{id, v, "", "", false};
  auto& w = world();
  SandboxPolicy policy = policy_for(preset, allowlist);
  NegativeContext ctx;
  ctx.canaries = w.canaries.get();
  ctx.probe = kProbe;
  ctx.policy = policy;
  ctx.expectation_args = expectation_args(policy);
  ctx.output_cap = policy.limits.output_bytes;
  ctx.make_runner = [&w](const SandboxPolicy& p) -> std::unique_ptr<Runner> {
    return std::make_unique<BackendRunner>(w.backends.at(BackendKind::process), p, kProbe);
  };
  auto neg = run_negative_controls(ctx, positive, ids.empty() ? probe_ids() : ids);
  ASSERT_TRUE(neg) << neg.error().describe();
  for (const auto& n : *neg) {
    std::printf("negative %s %-5s [%s] %s\n", n.id.c_str(), n.verdict.c_str(), n.weakening.c_str(),
                n.detail.substr(0, 110).c_str());
    EXPECT_TRUE(n.demonstrated) << n.id << " did not report FAIL with its control off (" << n.weakening
                                << "): " << n.verdict << " — " << n.detail;
  }
}

TEST(ProbeSuiteProcess, StrictNegativeControls) { expect_negative_controls(Preset::strict, {}); }

// The egress probe under an allowlist: with the host's network instead, it reports FAIL.
TEST(ProbeSuiteProcess, AllowlistEgressNegativeControls) {
  expect_negative_controls(Preset::agent, {"N03", "N10"}, true);
}

// The probes only the agent preset's protected names can exercise (strict protects one absolute
// path, which an existing read-only bind already holds).
TEST(ProbeSuiteProcess, AgentProtectedNamesNegativeControls) {
  expect_negative_controls(Preset::agent, {"F13", "C12"});
}

}  // namespace
}  // namespace kavach::probes
