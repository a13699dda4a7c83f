// kavach verify [--backend B] [--preset P] [--json] [--probe PATH] [--only IDS]
//
// The probe binary (kavach-probe) is looked up, first match wins:
//   1. --probe PATH
//   2. $KAVACH_PROBE
//   3. next to this executable:            <dir of kavach>/kavach-probe
//   4. the install layout:                 <dir of kavach>/../libexec/kavach/kavach-probe
//   5. the build tree this CLI was built in (compiled-in path)
#include "cmd_verify.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "backend_runner.hpp"
#include "canaries.hpp"
#include "cli_common.hpp"
#include "evidence.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/score.hpp"
#include "policy_facts.hpp"
#include "suite.hpp"

namespace kavach::cli {

namespace fs = std::filesystem;

namespace {

Result<fs::path> find_probe(const std::string& explicit_path) {
  std::vector<fs::path> tried;
  auto usable = [&](const fs::path& p) {
    tried.push_back(p);
    return !p.empty() && access(p.c_str(), X_OK) == 0;
  };
  if (!explicit_path.empty()) {
    if (usable(explicit_path)) return fs::absolute(explicit_path);
    return fail(ErrorCode::path_not_found, "--probe " + explicit_path + " is not an executable file");
  }
  if (const char* env = std::getenv("KAVACH_PROBE"); env != nullptr && usable(env)) return fs::absolute(env);
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    if (usable(self.parent_path() / "kavach-probe")) return self.parent_path() / "kavach-probe";
    fs::path installed = self.parent_path().parent_path() / "libexec" / "kavach" / "kavach-probe";
    if (usable(installed)) return installed;
  }
#ifdef KAVACH_PROBE_BUILD_PATH
  if (usable(KAVACH_PROBE_BUILD_PATH)) return fs::path(KAVACH_PROBE_BUILD_PATH);
#endif
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t.string();
  return fail(ErrorCode::path_not_found,
              "kavach-probe not found (tried " + list + "); pass --probe PATH or set KAVACH_PROBE");
}

nlohmann::json score_json(const StrengthScore& s) {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& item : s.breakdown) b.push_back({{"label", item.label}, {"points", item.points}});
  return {{"value", s.value}, {"label", s.label}, {"breakdown", b}};
}

}  // namespace

void register_verify(CLI::App& app, int& exit_code) {
  struct Opts {
    std::string backend = "process";
    std::string preset = "strict";
    std::string probe;
    std::vector<std::string> only;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "attack a sandbox from inside with the probe suite; show which controls hold and an evidence-backed score");
  cmd->add_option("--backend", o->backend, "backend to verify")->capture_default_str();
  cmd->add_option("--preset", o->preset, "policy preset to verify")->capture_default_str();
  cmd->add_option("--probe", o->probe, "path of the kavach-probe binary");
  cmd->add_option("--only", o->only, "probe ids or group letters (default: all)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &exit_code] {
    auto kind = parse_backend(o->backend);
    if (!kind) {
      exit_code = report_error(kind.error(), o->json);
      return;
    }
    auto preset = parse_preset(o->preset);
    if (!preset) {
      exit_code = report_error(preset.error(), o->json);
      return;
    }
    auto probe = find_probe(o->probe);
    if (!probe) {
      exit_code = report_error(probe.error(), o->json);
      return;
    }
    auto backend = create_backend(*kind);
    if (!backend) {
      exit_code = report_error(backend.error(), o->json);
      return;
    }
    Availability av = (*backend)->availability();
    if (!av.available) {
      exit_code = report_error(make_error(ErrorCode::backend_unavailable,
                                          "backend " + o->backend + " is not available here: " + av.reason),
                               o->json);
      return;
    }
    probes::CanaryOptions co;
    co.probe_binary = *probe;
    auto canaries = probes::Canaries::create(co);
    if (!canaries) {
      exit_code = report_error(canaries.error(), o->json);
      return;
    }
    probes::Canaries& c = **canaries;
    SandboxPolicy base = preset_policy(*preset);
    SandboxPolicy policy = probes::probe_policy(
        base, {probe->parent_path(), c.bindir(), c.workdir(), c.protected_dir()});
    probes::BackendRunner runner(std::shared_ptr<Backend>(std::move(*backend)), policy, probe->string());
    probes::SuiteOptions so;
    if (!o->only.empty()) so.selection = o->only;
    so.extra_args = probes::expectation_args(policy);
    so.output_cap = policy.limits.output_bytes;
    so.emulated_kernel = *kind == BackendKind::gvisor;
    auto run = probes::run_suite(runner, c, so);
    if (!run) {
      exit_code = report_error(run.error(), o->json);
      return;
    }
    const auto matrix = probes::control_matrix(run->results);
    const EnforcementReport& claimed = runner.last_enforcement();
    const StrengthScore claimed_score = compute_score(*kind, claimed);
    const StrengthScore proven = compute_score(*kind, probes::evidence_report(claimed, matrix));
    const HostInfo& host = probe_host_cached();
    const auto& facts = c.facts();
    std::string features = facts.count("features") ? facts.at("features") : "";

    if (o->json) {
      nlohmann::json j;
      j["backend"] = o->backend;
      j["preset"] = o->preset;
      j["host"] = {{"kernel", host.kernel_release}, {"landlock_abi", host.landlock_abi},
                   {"cgroups", std::string(to_string(host.cgroups.layout))}, {"features", features}};
      nlohmann::json probes = nlohmann::json::object();
      for (const auto& [id, r] : run->results) {
        probes[id] = {{"verdict", r.verdict}, {"errno", r.err}, {"detail", r.detail}, {"harness", r.harness}};
      }
      j["probes"] = probes;
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& row : matrix) {
        nlohmann::json ps = nlohmann::json::object();
        for (const auto& [id, v] : row.probes) ps[id] = v;
        rows.push_back({{"control", row.control}, {"held", std::string(probes::to_string(row.held))},
                        {"enforcement_control", row.kavach_control.has_value()}, {"probes", ps}});
      }
      j["controls"] = rows;
      j["score_claimed"] = score_json(claimed_score);
      j["score_proven"] = score_json(proven);
      nlohmann::json notes = c.notes();
      for (const auto& n : run->notes) notes.push_back(n);
      j["notes"] = notes;
      print_json(std::move(j));
      exit_code = 0;
      return;
    }
    std::map<std::string, int> counts;
    for (const auto& [id, r] : run->results) ++counts[r.verdict];
    std::printf("kavach verify: backend %s, preset %s\n", o->backend.c_str(), o->preset.c_str());
    std::printf("host: kernel %s, landlock ABI %d, cgroups %s, features %s\n", host.kernel_release.c_str(),
                host.landlock_abi, std::string(to_string(host.cgroups.layout)).c_str(), features.c_str());
    std::printf("probes: %zu run — PASS %d, FAIL %d, SKIP %d, INFO %d (%.1f s)\n\n", run->results.size(),
                counts["PASS"], counts["FAIL"], counts["SKIP"], counts["INFO"], run->main.duration_ms / 1000.0);
    std::printf("%-38s %-9s %s\n", "CONTROL", "STATUS", "PROBES");
    for (const auto& row : matrix) {
      if (row.probes.empty()) continue;
      std::string ps;
      for (const auto& [id, v] : row.probes) ps += id + ":" + v + " ";
      std::printf("%-38s %-9s %s\n", row.control.c_str(), std::string(probes::to_string(row.held)).c_str(), ps.c_str());
    }
    std::printf("\nfailed probes:\n");
    for (const auto& [id, r] : run->results) {
      if (r.verdict == "FAIL") std::printf("  %s  %s\n", id.c_str(), r.detail.substr(0, 150).c_str());
    }
    std::printf("\nscore claimed by the backend: %d (%s)\n", claimed_score.value, claimed_score.label.c_str());
    std::printf("score backed by probe evidence: %d (%s)\n", proven.value, proven.label.c_str());
    for (const auto& item : proven.breakdown) std::printf("  %+4d  %s\n", item.points, item.label.c_str());
    for (const auto& n : c.notes()) std::printf("note: %s\n", n.c_str());
    for (const auto& n : run->notes) std::printf("note: %s\n", n.c_str());
    exit_code = 0;
  });
}

}  // namespace kavach::cli
