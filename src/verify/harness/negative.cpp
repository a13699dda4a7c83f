#include "negative.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "controls.hpp"
#include "suite.hpp"

namespace kavach::probes {

namespace {

using namespace std::chrono_literals;

void record(std::vector<NegativeControl>& out, const std::string& id, const std::string& weakening,
            const Results& got, const Results& positive) {
  NegativeControl n;
  n.id = id;
  n.weakening = weakening;
  auto it = got.find(id);
  if (it == got.end()) {
    n.verdict = "(missing)";
  } else {
    n.verdict = it->second.verdict;
    n.detail = it->second.detail;
  }
  auto pos = positive.find(id);
  bool kernel_skip = pos != positive.end() && pos->second.verdict == "SKIP" && n.verdict == "SKIP";
  n.demonstrated = n.verdict == "FAIL" || kernel_skip;
  if (kernel_skip) n.detail = "nothing to demonstrate: " + n.detail;
  out.push_back(std::move(n));
}

Result<Results> suite(Runner& runner, NegativeContext& ctx, std::vector<std::string> ids,
                      const std::function<void(SuiteOptions&)>& tweak = {}) {
  SuiteOptions so;
  so.selection = std::move(ids);
  so.extra_args = ctx.expectation_args;
  so.output_cap = ctx.output_cap;
  if (tweak) tweak(so);
  auto r = run_suite(runner, *ctx.canaries, so);
  if (!r) return tl::unexpected(r.error());
  return r->results;
}

}  // namespace

Result<std::vector<NegativeControl>> run_negative_controls(NegativeContext& ctx, const Results& positive,
                                                           const std::vector<std::string>& ids) {
  std::vector<NegativeControl> out;
  WeakenContext wc{ctx.canaries->secret_file().parent_path(), ctx.canaries->env_name()};
  std::map<WeakenFn, std::vector<std::string>> by_policy;
  std::vector<std::string> unsandboxed;
  for (const auto& id : ids) {
    const ProbeControl* pc = find_probe_control(id);
    if (pc == nullptr) {
      out.push_back({id, "(no entry in the controls table)", "(missing)", "", false});
      continue;
    }
    switch (pc->kind) {
      case Weakening::policy: by_policy[pc->weaken].push_back(id); break;
      case Weakening::unsandboxed:
        if (id != "H10") unsandboxed.push_back(id);
        break;
      case Weakening::not_applicable:
        out.push_back({id, std::string(pc->weakening), "SKIP", "not applicable", true});
        break;
      case Weakening::detector: break;
    }
  }
  auto describe = [](const std::string& id) { return std::string(find_probe_control(id)->weakening); };

  // Policy weakenings: one backend run per distinct weakening, selecting only its probes.
  for (const auto& [fn, group] : by_policy) {
    SandboxPolicy p = ctx.policy;
    fn(p, wc);
    auto runner = ctx.make_runner(p);
    std::vector<std::string> extra;
    for (const auto& id : group) {
      auto ne = find_probe_control(id)->negative_expect;
      if (!ne.empty()) extra.emplace_back(ne);
    }
    auto r = suite(*runner, ctx, group, [&extra](SuiteOptions& so) {
      so.extra_args.insert(so.extra_args.end(), extra.begin(), extra.end());
    });
    for (const auto& id : group) {
      if (!r) {
        out.push_back({id, describe(id), "(error)", r.error().describe(), false});
      } else {
        record(out, id, describe(id), *r, positive);
      }
    }
  }

  // No policy knob: the same probes directly on this host.
  DirectRunner direct(ctx.probe, {}, "host");
  if (!unsandboxed.empty()) {
    auto r = suite(direct, ctx, unsandboxed);
    for (const auto& id : unsandboxed) {
      if (!r) out.push_back({id, describe(id), "(error)", r.error().describe(), false});
      else record(out, id, describe(id), *r, positive);
    }
  }
  auto want = [&](const char* id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  if (want("H10")) {
    DirectRunner in_secret(ctx.probe, {}, "host");
    in_secret.set_cwd(wc.secret_dir.string());
    auto r = suite(in_secret, ctx, {"H10"});
    if (!r) out.push_back({"H10", describe("H10"), "(error)", r.error().describe(), false});
    else record(out, "H10", describe("H10"), *r, positive);
  }

  // Detectors: the backend under test, the harness check fed a planted hole.
  auto runner = ctx.make_runner(ctx.policy);
  for (const char* id : {"F11", "F12"}) {
    if (!want(id)) continue;
    auto r = suite(*runner, ctx, {id}, [](SuiteOptions& so) { so.naive_copy_out = true; });
    if (!r) out.push_back({id, describe(id), "(error)", r.error().describe(), false});
    else record(out, id, describe(id), *r, positive);
  }
  if (want("R14")) {
    auto r = suite(*runner, ctx, {"R14"}, [](SuiteOptions& so) { so.timeout = 300ms; });
    if (!r) out.push_back({"R14", describe("R14"), "(error)", r.error().describe(), false});
    else record(out, "R14", describe("R14"), *r, positive);
  }
  if (want("T02")) {
    std::string leak = (ctx.canaries->scratch() / "leak-mount").string();
    mkdir(leak.c_str(), 0700);
    auto r = suite(*runner, ctx, {"T02"}, [&](SuiteOptions& so) {
      so.after_run = [leak] { (void)mount("kavach-leak", leak.c_str(), "tmpfs", 0, "size=64k"); };
    });
    (void)umount2(leak.c_str(), MNT_DETACH);
    if (!r) out.push_back({"T02", describe("T02"), "(error)", r.error().describe(), false});
    else record(out, "T02", describe("T02"), *r, positive);
  }
  if (want("T04")) {
    DirectRunner lying(ctx.probe, {"sh", "-c", "\"$0\" \"$@\"; exit 0"}, "status-hiding wrapper");
    auto r = suite(lying, ctx, {"T04"});
    if (!r) out.push_back({"T04", describe("T04"), "(error)", r.error().describe(), false});
    else record(out, "T04", describe("T04"), *r, positive);
  }
  return out;
}

}  // namespace kavach::probes
