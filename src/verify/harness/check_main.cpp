// kavach-probe-check: run the probe suite on this host without kavach — directly (the open-host
// negative control: most probes must FAIL) or behind bwrap/unshare (a sanity check of PASS paths).
//   kavach-probe-check [--wrap=none|bwrap|unshare] [--select=ID,..] [--expect-preset=P] [--json]
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "canaries.hpp"
#include "kavach/policy.hpp"
#include "policy_facts.hpp"
#include "results.hpp"
#include "runner.hpp"
#include "suite.hpp"

using namespace kavach::probes;

namespace {

std::vector<std::string> wrapper(const std::string& kind, const Canaries& c) {
  if (kind == "bwrap") {
    return {"bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            "--bind", c.workdir().string(), c.workdir().string(),
            "--ro-bind", c.bindir().string(), c.bindir().string(), "--chdir", "/", "--"};
  }
  if (kind == "unshare") {
    return {"unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "--mount",
            "--mount-proc", "--net", "--ipc", "--uts", "--cgroup", "--"};
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::string wrap = "none", probe = KAVACH_PROBE_BUILD_PATH, preset;
  std::vector<std::string> sel{"all"};
  bool json = false, scenarios = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--wrap=", 0) == 0) wrap = a.substr(7);
    else if (a.rfind("--probe=", 0) == 0) probe = a.substr(8);
    else if (a.rfind("--select=", 0) == 0) {
      sel.clear();
      std::string s = a.substr(9);
      std::size_t pos = 0;
      while (pos <= s.size()) {
        auto c = s.find(',', pos);
        if (c == std::string::npos) c = s.size();
        if (c > pos) sel.push_back(s.substr(pos, c - pos));
        pos = c + 1;
      }
    } else if (a.rfind("--expect-preset=", 0) == 0) {
      preset = a.substr(16);
    } else if (a == "--json") {
      json = true;
    }
    else if (a == "--no-scenarios") scenarios = false;
    else {
      std::fprintf(stderr,
                   "usage: kavach-probe-check [--wrap=none|bwrap|unshare] [--select=IDS] [--expect-preset=P]\n"
                   "                          [--json] [--probe=PATH] [--no-scenarios]\n");
      return 2;
    }
  }
  CanaryOptions co;
  co.probe_binary = probe;
  auto canaries = Canaries::create(co);
  if (!canaries) {
    std::fprintf(stderr, "canaries: %s\n", canaries.error().describe().c_str());
    return 1;
  }
  Canaries& c = **canaries;
  DirectRunner runner(probe, wrapper(wrap, c), wrap);
  SuiteOptions so;
  so.selection = sel;
  so.scenarios = scenarios;
  so.output_cap = 1u << 20;
  if (!preset.empty()) {
    // Judge the host against what a preset promises (limits, env allow-list, capabilities).
    auto p = kavach::parse_preset(preset);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().describe().c_str());
      return 2;
    }
    kavach::SandboxPolicy pol = kavach::preset_policy(*p);
    so.extra_args = expectation_args(pol);
    so.output_cap = pol.limits.output_bytes;
  }
  auto run = run_suite(runner, c, so);
  if (!run) {
    std::fprintf(stderr, "suite: %s\n", run.error().describe().c_str());
    return 1;
  }
  std::map<std::string, int> counts;
  for (const auto& [id, r] : run->results) {
    ++counts[r.verdict];
    if (json) {
      std::printf("{\"id\":\"%s\",\"verdict\":\"%s\",\"harness\":%s}\n", id.c_str(), r.verdict.c_str(), r.harness ? "true" : "false");
    } else {
      std::printf("%s %-4s %s%s\n", id.c_str(), r.verdict.c_str(), r.harness ? "[harness] " : "", r.detail.substr(0, 200).c_str());
    }
  }
  for (const auto& n : c.notes()) std::fprintf(stderr, "note: %s\n", n.c_str());
  std::fprintf(stderr, "%s: PASS %d FAIL %d SKIP %d INFO %d (main run %.0f ms)\n", wrap.c_str(), counts["PASS"],
               counts["FAIL"], counts["SKIP"], counts["INFO"], run->main.duration_ms);
  return 0;
}
