#include "suite.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

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
  spec.argv = {runner.probe_path(), "sleeper", tok, "20"};
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
    seen = !find_processes(tok).empty();
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
  double ms = wait_gone(tok, o.parent_death_budget + 1000ms);
  kill_processes(tok);
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
  if (sel("R14")) spec.stdin_data = std::string(4u << 20, 'i');  // more than any pipe holds
  Result<RunOutput> out;
  int quota_failures = 0, quota_checks = 0;
  {
    std::optional<QuotaWatcher> watch;
    if (sel("R12")) watch.emplace();
    out = runner.run(spec);
    if (watch) {
      quota_failures = watch->failures();
      quota_checks = watch->checks();
    }
  }
  if (!out) return tl::unexpected(out.error());
  if (!out->setup_error.empty()) {
    return fail(ErrorCode::setup_failed, "sandbox setup failed: " + out->setup_error);
  }
  run.main = *out;
  auto parsed = parse_probe_output(out->stdout_data);
  if (!parsed) {
    return fail(ErrorCode::exec_failed, parsed.error().message,
                {{"stderr", out->stderr_data.substr(0, 400)}});
  }
  Results& r = run.results;
  r = std::move(*parsed);
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
  auto survivors = [&](const std::string& suffix) { return find_processes(c.token() + suffix).size(); };
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
    bool ok = out->stderr_truncated && out->stderr_data.size() <= o.output_cap;
    set(r, "R09", ok ? "PASS" : "FAIL",
        "captured " + std::to_string(out->stderr_data.size()) + " bytes of stderr (cap " +
            std::to_string(o.output_cap) + ")" + (out->stderr_truncated ? ", truncated flag set" : ", no truncation"));
  }
  if (sel("R12")) {
    set(r, "R12", quota_failures == 0 && quota_checks > 0 ? "PASS" : "FAIL",
        "launcher inotify_init during the run: " + std::to_string(quota_failures) + " of " +
            std::to_string(quota_checks) + " attempts failed" +
            (r.count("R12") ? " | probe: " + r["R12"].detail : ""));
  }
  if (sel("R14")) {
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
  for (const char* tag : {"-R11", "-T01", "-H09"}) kill_processes(c.token() + tag);

  // Scenarios that need their own runs.
  if (o.scenarios) {
    if (sel("H03") || sel("H04") || sel("H05")) {
      std::vector<std::string> ids;
      for (const char* id : {"H03", "H04", "H05"}) {
        if (sel(id)) ids.push_back(id);
      }
      RunSpec tty = spec;
      tty.argv = probe_argv(runner, c, o, ids);
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
