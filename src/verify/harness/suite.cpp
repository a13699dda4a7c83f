#include "suite.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "observe.hpp"

namespace kavach::probes {

namespace {

using namespace std::chrono_literals;

void set(Results& r, const std::string& id, const std::string& verdict, const std::string& detail) {
  auto& x = r[id];
  x.id = id;
  x.verdict = verdict;
  x.detail = detail;
  x.harness = true;
}

// Harness evidence can only make a verdict worse, never turn a probe's FAIL into a PASS.
void amend_fail(Results& r, const std::string& id, const std::string& why) {
  auto it = r.find(id);
  if (it == r.end()) return;
  if (it->second.verdict != "FAIL") it->second.detail = "harness: " + why + " | probe said: " + it->second.detail;
  it->second.verdict = "FAIL";
  it->second.harness = true;
}

std::vector<std::string> probe_argv(Runner& runner, Canaries& c, const SuiteOptions& o,
                                    const std::vector<std::string>& sel) {
  std::vector<std::string> argv = {runner.probe_path()};
  argv.insert(argv.end(), sel.begin(), sel.end());
  auto ca = c.probe_args();
  argv.insert(argv.end(), ca.begin(), ca.end());
  argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
  argv.push_back("--self=" + runner.probe_path());
  // Host paths a policy shares on purpose may show up in mountinfo (S04).
  argv.push_back("--shared=" + c.workdir().string() + "," + c.bindir().string());
  argv.push_back("--flood-bytes=" + std::to_string(o.output_cap * 4));
  return argv;
}

std::string diff_related(const std::set<std::string>& before, const std::set<std::string>& after,
                         const std::string& scratch) {
  std::string out;
  for (const auto& line : after) {
    if (before.count(line)) continue;
    // Only mounts that involve this run's paths: other kavach users on a shared host mount
    // and unmount their own things concurrently.
    if (line.find(scratch) != std::string::npos) {
      out += " +" + line.substr(0, 120) + ";";
    }
  }
  return out;
}

// H09: run a long-lived sandbox from a launcher process, kill the launcher, time the teardown.
ProbeResult parent_death(Runner& runner, Canaries& c, const SuiteOptions& o) {
  std::string tok = c.token() + "-H09p";
  RunSpec spec;
  const std::string work = c.workdir().string();
  spec.argv = {runner.probe_path(), "sleeper", tok, "20", work};
  spec.timeout = 30s;
  pid_t launcher = fork();
  if (launcher == 0) {
    // The launcher: runs the sandbox and is then killed by the harness.
    (void)runner.run(spec);
    _exit(0);
  }
  ProbeResult r{"H09", "FAIL", "", "", true};
  // A killed launcher cannot remove its run cgroup: note it (teardown defect) and clean up.
  auto leftovers = [&launcher] {
    std::string d;
    for (const auto& cg : cgroup_leftovers(launcher)) {
      d += " " + cg;
      (void)rmdir(cg.c_str());
    }
    return d.empty() ? std::string() : "; run cgroup left by the killed launcher:" + d;
  };
  bool seen = false;
  for (int i = 0; i < 1000 && !seen; ++i) {
    seen = !find_processes(tok, work).empty();
    if (!seen) usleep(10'000);
  }
  if (!seen) {
    kill(launcher, SIGKILL);
    waitpid(launcher, nullptr, 0);
    r.detail = "sandboxed sleeper never appeared" + leftovers();
    return r;
  }
  kill(launcher, SIGKILL);
  waitpid(launcher, nullptr, 0);
  double ms = wait_gone(tok, o.parent_death_budget + 1000ms, work);
  kill_processes(tok, work);
  char buf[128];
  if (ms >= 0 && ms <= static_cast<double>(o.parent_death_budget.count())) {
    std::snprintf(buf, sizeof buf, "launcher killed: sandbox gone after %.0f ms", ms);
    r.verdict = "PASS";
  } else {
    std::snprintf(buf, sizeof buf, "launcher killed: sandbox still alive after %lld ms",
                  static_cast<long long>((o.parent_death_budget + 1000ms).count()));
  }
  r.detail = buf + leftovers();
  return r;
}

// One run of the probe with the given selection (stdin flood and the launcher's quota watch
// only when R14 / R12 are part of it).
struct Pass {
  RunOutput out;
  int quota_failures = 0;
  int quota_checks = 0;
};

Result<std::pair<Pass, Results>> run_pass(Runner& runner, Canaries& c, const SuiteOptions& o,
                                          const std::vector<std::string>& sel) {
  RunSpec spec;
  spec.argv = probe_argv(runner, c, o, sel);
  spec.timeout = o.timeout;
  spec.output_cap = o.output_cap;
  if (selected(sel, "R14")) spec.stdin_data = std::string(4u << 20, 'i');  // more than any pipe holds
  Pass p;
  Result<RunOutput> out;
  {
    std::optional<QuotaWatcher> watch;
    if (selected(sel, "R12")) watch.emplace();
    out = runner.run(spec);
    if (watch) {
      p.quota_failures = watch->failures();
      p.quota_checks = watch->checks();
    }
  }
  if (!out) return tl::unexpected(out.error());
  if (!out->setup_error.empty()) {
    return fail(ErrorCode::setup_failed, "sandbox setup failed: " + out->setup_error);
  }
  auto parsed = parse_probe_output(out->stdout_data);
  if (!parsed) {
    return fail(ErrorCode::exec_failed, parsed.error().message, {{"stderr", out->stderr_data.substr(0, 400)}});
  }
  p.out = std::move(*out);
  return std::make_pair(std::move(p), std::move(*parsed));
}

std::string status_text(const RunOutput& o) {
  std::string t = o.exit_code ? "exit " + std::to_string(*o.exit_code) : "";
  if (o.signal) t += (t.empty() ? "" : ", ") + std::string("signal ") + std::to_string(*o.signal);
  if (o.timed_out) t += ", timed out";
  if (o.pids_limit_hit) t += ", pids limit hit";
  if (o.oom_killed) t += ", OOM kill";
  return t.empty() ? "no status" : t;
}

// A probe whose own run ended before it reported. Only a resource attack stopped by the very
// limit it attacks (the cgroup's own record says so) counts as contained; anything else fails.
ProbeResult unreported(const std::string& id, const RunOutput& o) {
  ProbeResult r{id, "FAIL", "", "", true};
  const bool pids = (id == "R01" || id == "R02" || id == "R10") && o.pids_limit_hit;
  const bool mem = id == "R03" && o.oom_killed;
  if (pids || mem) {
    r.verdict = "PASS";
    r.detail = std::string("harness: the sandbox was stopped as a whole at its ") +
               (pids ? "pids limit (the cgroup's pids.events counts max > 0)" : "memory limit (OOM kill in its cgroup)") +
               " before the probe could report (" + status_text(o) + ")";
  } else {
    r.detail = "harness: the sandbox ended before the probe reported (" + status_text(o) + ")";
  }
  return r;
}

ProbeResult statuses(Runner& runner, Canaries& c) {
  ProbeResult r{"T04", "FAIL", "", "", true};
  RunSpec s;
  s.timeout = 20s;
  s.argv = {runner.probe_path(), "exit", "42"};
  auto ex = runner.run(s);
  s.argv = {runner.probe_path(), "crash", "11"};
  auto cr = runner.run(s);
  s.argv = {runner.probe_path(), "sleeper", c.token() + "-T04", "30"};
  s.timeout = 1000ms;
  auto to = runner.run(s);
  kill_processes(c.token() + "-T04");
  if (!ex || !cr || !to) {
    r.detail = "run failed: " + (!ex ? ex.error().describe() : !cr ? cr.error().describe() : to.error().describe());
    return r;
  }
  bool ok_exit = ex->exit_code == 42 && !ex->signal && !ex->timed_out;
  bool ok_sig = cr->signal == 11 && !cr->exit_code && !cr->timed_out;
  bool ok_to = to->timed_out;
  auto show = [](const RunOutput& o) {
    std::string txt = o.exit_code ? "exit=" + std::to_string(*o.exit_code) : "";
    if (o.signal) txt += "signal=" + std::to_string(*o.signal);
    if (o.timed_out) txt += " timed_out";
    return txt;
  };
  r.detail = "exit 42 -> " + show(*ex) + "; SIGSEGV -> " + show(*cr) + "; 1 s timeout -> " + show(*to);
  if (ok_exit && ok_sig && ok_to) r.verdict = "PASS";
  return r;
}

}  // namespace

bool selected(const std::vector<std::string>& selection, const std::string& id) {
  for (const auto& s : selection) {
    if (s == "all" || s == id || (s.size() == 1 && !id.empty() && id[0] == s[0])) return true;
  }
  return false;
}

Result<SuiteRun> run_suite(Runner& runner, Canaries& c, const SuiteOptions& o) {
  SuiteRun run;
  auto sel = [&](const char* id) { return selected(o.selection, id); };
  const std::string work = c.workdir().string();
  c.reset_workdir();
  auto mounts_before = mount_snapshot();
  auto tmp_before = dir_snapshot("/tmp");
  auto shm_before = dir_snapshot("/dev/shm");
  auto run_before = dir_snapshot("/run");
  (void)c.drain_connections();

  RunSpec spec;
  spec.argv = probe_argv(runner, c, o, o.selection);
  spec.timeout = o.timeout;
  spec.output_cap = o.output_cap;
  // The probes in list order, as the probe binary runs them.
  auto listed = capture_command({runner.probe_path(), "list"});
  if (!listed) return fail(ErrorCode::internal, "kavach-probe list: " + listed.error().message);
  std::vector<std::string> ids;
  for (std::size_t pos = 0; pos < listed->size();) {
    auto nl = listed->find('\n', pos);
    if (nl == std::string::npos) nl = listed->size();
    std::string id = listed->substr(pos, std::min(listed->find(' ', pos), nl) - pos);
    if (!id.empty() && selected(o.selection, id)) ids.push_back(id);
    pos = nl + 1;
  }

  std::vector<Pass> passes;
  std::map<std::string, std::size_t> ran_in;  // probe id -> the pass whose output judges it
  auto first = run_pass(runner, c, o, o.selection);
  if (!first) return tl::unexpected(first.error());
  Results& r = run.results;
  r = std::move(first->second);
  passes.push_back(std::move(first->first));
  run.main = passes.front().out;
  for (const auto& id : ids) ran_in[id] = 0;
  // Probes the run never reported: the sandbox ended early (gVisor stops the whole sandbox
  // when the pids limit is hit). Probes run in list order, so the first missing one ended it:
  // it gets a run of its own, the rest another, until every probe has its verdict.
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    if (!r.count(id)) missing.push_back(id);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& id : missing) list += " " + id;
    run.notes.push_back("the run of all probes ended before" + list + " reported (" + status_text(run.main) +
                        "); re-run in runs of their own");
  }
  while (!missing.empty()) {
    const std::string culprit = missing.front();
    missing.erase(missing.begin());
    auto alone = run_pass(runner, c, o, {culprit});
    if (!alone) return tl::unexpected(alone.error());
    passes.push_back(std::move(alone->first));
    ran_in[culprit] = passes.size() - 1;
    if (auto it = alone->second.find(culprit); it != alone->second.end()) {
      r[culprit] = it->second;
      r[culprit].detail = "own run: " + it->second.detail;
    } else {
      r[culprit] = unreported(culprit, passes.back().out);
    }
    if (missing.empty()) break;
    auto rest = run_pass(runner, c, o, missing);
    if (!rest) return tl::unexpected(rest.error());
    passes.push_back(std::move(rest->first));
    std::vector<std::string> still;
    for (const auto& id : missing) {
      ran_in[id] = passes.size() - 1;
      if (auto it = rest->second.find(id); it != rest->second.end()) {
        r[id] = it->second;
      } else {
        still.push_back(id);
      }
    }
    missing = std::move(still);
  }
  auto pass_of = [&](const char* id) -> const Pass& {
    auto it = ran_in.find(id);
    return passes[it == ran_in.end() ? 0 : it->second];
  };
  const RunOutput* out = &run.main;
  if (o.emulated_kernel) {
    if (auto it = r.find("P05"); it != r.end() && it->second.verdict != "SKIP") {
      set(r, "P05", "INFO",
          "not observable from inside a user-space kernel: /proc/self/uid_map is the sentry's emulation, the "
          "application is no host process (the backend's report names the host ids of the sentry and gofer) | probe "
          "read: " + it->second.detail);
    }
    if (auto it = r.find("R08"); it != r.end() && it->second.verdict != "SKIP") {
      set(r, "R08", "INFO",
          "not measurable from inside a user-space kernel: the probe's CPU times are the sentry's accounting "
          "(the host's cpu quota applies to the sentry's cgroup) | probe measured: " + it->second.detail);
    }
  }
  if (o.after_run) o.after_run();
  auto conn = c.drain_connections();

  // Connections the host listeners saw override any PASS of the matching probes.
  if (conn.tcp > 0) {
    for (const char* id : {"N03", "W01", "L05", "L06"}) {
      amend_fail(r, id, std::to_string(conn.tcp) + " connection(s) reached the host TCP listener");
    }
  }
  if (conn.abstract_unix > 0) {
    for (const char* id : {"I03", "L07"}) amend_fail(r, id, "the host abstract socket accepted a connection");
  }
  if (conn.fs_unix > 0) amend_fail(r, "I04", "the host unix socket accepted a connection");

  // Processes planted to outlive the run.
  auto survivors = [&](const std::string& suffix) { return find_processes(c.token() + suffix, work).size(); };
  if (sel("R11")) {
    auto n = survivors("-R11");
    set(r, "R11", n == 0 ? "PASS" : "FAIL",
        n == 0 ? "orphaned daemon gone after teardown" : std::to_string(n) + " orphaned daemon(s) survived teardown");
  }
  if (sel("T01")) {
    auto n = survivors("-T01") + survivors("-H09") + survivors("-R11");
    set(r, "T01", n == 0 ? "PASS" : "FAIL",
        n == 0 ? "no planted process (detached, stopped, orphaned) survived teardown"
               : std::to_string(n) + " planted process(es) survived teardown");
  }
  if (sel("R10")) {
    int z = probe_zombies();
    if (z > 0) amend_fail(r, "R10", std::to_string(z) + " kavach-probe zombies left on the host");
  }
  if (sel("H07")) {
    auto cores = core_files(work);
    if (!cores.empty()) amend_fail(r, "H07", "core file left: " + cores.front());
  }
  if (sel("R09")) {
    out = &pass_of("R09").out;
    bool ok = out->stderr_truncated && out->stderr_data.size() <= o.output_cap;
    set(r, "R09", ok ? "PASS" : "FAIL",
        "captured " + std::to_string(out->stderr_data.size()) + " bytes of stderr (cap " +
            std::to_string(o.output_cap) + ")" + (out->stderr_truncated ? ", truncated flag set" : ", no truncation"));
  }
  if (sel("R12")) {
    const int quota_failures = pass_of("R12").quota_failures, quota_checks = pass_of("R12").quota_checks;
    set(r, "R12", quota_failures == 0 && quota_checks > 0 ? "PASS" : "FAIL",
        "launcher inotify_init during the run: " + std::to_string(quota_failures) + " of " +
            std::to_string(quota_checks) + " attempts failed" +
            (r.count("R12") ? " | probe: " + r["R12"].detail : ""));
  }
  if (sel("R14")) {
    out = &pass_of("R14").out;
    bool ok = !out->timed_out;
    set(r, "R14", ok ? "PASS" : "FAIL",
        std::string(ok ? "run returned" : "run hung until the timeout") + " with 4 MiB of unread stdin (" +
            std::to_string(static_cast<long>(out->duration_ms)) + " ms)");
  }
  if (sel("T02")) {
    std::string d = diff_related(mounts_before, mount_snapshot(), c.scratch().string());
    set(r, "T02", d.empty() ? "PASS" : "FAIL", d.empty() ? "host mount table unchanged" : "new host mounts:" + d);
  }
  if (sel("T03")) {
    std::string d;
    for (const auto& f : root_setuid_files(work)) d += " root-owned setuid file " + f + ";";
    // New entries carrying this run's token (other kavach users work concurrently on a shared
    // host, so only what is provably ours counts).
    for (auto [dir, before] : {std::pair{"/tmp", &tmp_before}, std::pair{"/dev/shm", &shm_before},
                               std::pair{"/run", &run_before}}) {
      for (const auto& n : dir_snapshot(dir)) {
        if (!before->count(n) && n.find(c.token()) != std::string::npos) d += std::string(" left ") + dir + "/" + n + ";";
      }
    }
    for (const auto& cg : cgroup_leftovers(getpid())) d += " cgroup left: " + cg + ";";
    set(r, "T03", d.empty() ? "PASS" : "FAIL",
        d.empty() ? "no scratch or run cgroup left, nothing setuid-root in outputs" : d);
  }
  if (sel("F11")) {
    auto cr = collect_outputs(work, c.secret_value(), o.naive_copy_out, 3000ms);
    bool ok = !cr.timed_out && !cr.saw_secret;
    set(r, "F11", ok ? "PASS" : "FAIL", "copy-out of " + std::to_string(cr.files) + " files:" + cr.detail);
  }
  if (sel("F12")) {
    auto cr = collect_outputs(work, c.secret_value(), o.naive_copy_out, 2000ms);
    set(r, "F12", cr.timed_out ? "FAIL" : "PASS",
        cr.timed_out ? "copy-out blocked on a planted FIFO/device" : "copy-out finished:" + cr.detail);
  }
  for (const char* tag : {"-R11", "-T01", "-H09"}) kill_processes(c.token() + tag, work);

  // Scenarios that need their own runs.
  if (o.scenarios) {
    if (sel("H03") || sel("H04") || sel("H05")) {
      std::vector<std::string> tty_ids;
      for (const char* id : {"H03", "H04", "H05"}) {
        if (sel(id)) tty_ids.push_back(id);
      }
      RunSpec tty = spec;
      tty.argv = probe_argv(runner, c, o, tty_ids);
      tty.stdin_data.reset();
      tty.controlling_tty = true;
      tty.timeout = 30s;
      auto t = runner.run(tty);
      if (t) {
        if (auto tp = parse_probe_output(t->stdout_data)) {
          for (auto& [id, res] : *tp) {
            res.detail = "launcher on a pty: " + res.detail;
            r[id] = res;
          }
        }
      }
    }
    if (sel("H09")) r["H09"] = parent_death(runner, c, o);
    if (sel("T04")) r["T04"] = statuses(runner, c);
  }
  return run;
}

}  // namespace kavach::probes
