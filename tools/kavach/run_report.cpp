#include "run_report.hpp"

#include <cstdio>

#include "cli_common.hpp"
#include "kavach/json.hpp"

namespace kavach::cli {
namespace {

void print_lines(const char* title, const std::vector<std::string>& lines) {
  std::fprintf(stderr, "kavach: %s (%zu):\n", title, lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) std::fprintf(stderr, "  %3zu  %s\n", i + 1, lines[i].c_str());
}

void print_debug(const RunView& v) {
  const ExecResult& r = v.report.result;
  std::fprintf(stderr, "kavach: backend %s, policy %s, working directory %s\n",
               std::string(to_string(v.backend)).c_str(), v.policy.name.c_str(),
               v.policy.fs.workdir.empty() ? "/" : v.policy.fs.workdir.c_str());
  if (r.mount_plan.empty()) {
    std::fprintf(stderr, "kavach: mount plan: not reported by backend %s\n", std::string(to_string(v.backend)).c_str());
  } else {
    print_lines("mount plan, in order", r.mount_plan);
  }
  std::string stages;
  for (const auto& t : r.timings) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.2f", t.ms);
    stages += (stages.empty() ? "" : ", ") + t.stage + " " + ms;
  }
  std::fprintf(stderr, "kavach: stages (ms): %s\n", stages.empty() ? "none reported" : stages.c_str());
}

void print_hints(const std::vector<std::string>& hints, std::size_t from) {
  for (std::size_t i = from; i < hints.size(); ++i) print_hint(hints[i]);
}

void print_summary(const RunView& v) {
  const RunReport& rep = v.report;
  const ExecResult& r = rep.result;
  std::string status;
  if (r.timed_out) status = "timed out (whole tree killed)";
  else if (r.oom_killed) status = "killed: memory limit";
  else if (r.exit_code) status = "exit " + std::to_string(*r.exit_code);
  else if (r.signal) status = "signal " + std::to_string(*r.signal);
  if (r.pids_limit_hit) status += ", pids limit hit";
  if (r.stdout_truncated || r.stderr_truncated) status += ", output truncated";
  std::fprintf(stderr, "\n── kavach ── backend %s · policy %s · %s · %.1f ms\n",
               std::string(to_string(v.backend)).c_str(), v.policy.name.c_str(), status.c_str(), r.duration_ms);
  std::fprintf(stderr, "score %d/100 (%s, enforced):", rep.score.value, rep.score.label.c_str());
  for (const auto& item : rep.score.breakdown) {
    if (item.points != 0) std::fprintf(stderr, " %s %+d;", item.label.c_str(), item.points);
  }
  if (rep.gate) {
    std::fprintf(stderr, "\ngate: %s, %zu finding(s), output %s\n",
                 std::string(gate::to_string(rep.gate->verdict)).c_str(), rep.gate->findings.size(),
                 std::string(to_string(rep.release)).c_str());
    for (const auto& f : rep.gate->findings) {
      std::fprintf(stderr, "  %-10s %-24s %s line %llu%s%s\n", std::string(gate::to_string(f.verdict)).c_str(),
                   f.rule_id.c_str(), f.source.c_str(), static_cast<unsigned long long>(f.line),
                   f.encoding.empty() ? "" : ", encoded as ", f.encoding.c_str());
    }
  } else {
    std::fprintf(stderr, "\ngate: OFF (--no-gate), output released without the rules (registered secrets still redacted)\n");
  }
  if (r.egress.active) {
    const EgressSummary& e = r.egress;
    std::fprintf(stderr, "egress: %llu allowed, %llu refused, %llu bytes up, %llu bytes down\n",
                 static_cast<unsigned long long>(e.allowed), static_cast<unsigned long long>(e.denied),
                 static_cast<unsigned long long>(e.bytes_up), static_cast<unsigned long long>(e.bytes_down));
    for (const EgressConnection& c : e.connections) {
      if (c.allowed && c.reason.empty()) continue;
      std::fprintf(stderr, "  %-8s %s:%u %s\n", c.allowed ? "failed" : "refused", c.host.c_str(), c.port,
                   c.reason.c_str());
    }
  }
  std::fprintf(stderr, "enforcement:\n");
  for (const auto& c : r.enforcement.controls()) {
    if (!c.requested) continue;
    std::fprintf(stderr, "  %s %-17s %s\n", c.applied ? "applied " : "MISSING ",
                 std::string(to_string(c.control)).c_str(), c.detail.c_str());
  }
}

}  // namespace

Error setup_failure_error(const RunView& v) {
  const SetupFailure& f = *v.report.result.setup_failure;
  Error e = make_error(f.stage == "exec" ? ErrorCode::exec_failed : ErrorCode::setup_failed, f.message,
                       {{"stage", f.stage}, {"errno", std::to_string(f.error_number)}});
  if (!v.hints.empty()) e = with_hint(std::move(e), v.hints.front());
  return e;
}

nlohmann::json run_json(const RunView& v) {
  const RunReport& rep = v.report;
  nlohmann::json j = to_json(rep);
  j["backend"] = std::string(to_string(v.backend));
  j["policy"] = v.policy.name;
  j["sandbox_id"] = v.sandbox_id;
  j["output_limit_bytes"] = v.policy.limits.output_bytes;
  j["hints"] = v.hints;
  if (v.debug) j["mount_plan"] = rep.result.mount_plan;
  if (v.quarantined_to) j["gate"]["quarantine_dir"] = v.quarantined_to->string();
  j["schema_version"] = kJsonSchemaVersion;
  return j;
}

void print_run_text(const RunView& v, bool quiet) {
  if (v.debug) print_debug(v);
  if (v.report.result.setup_failure) {
    // Nothing ran: a score would describe a run that did not happen.
    (void)report_error(setup_failure_error(v), false);
    print_hints(v.hints, 1);
    return;
  }
  if (!quiet) print_summary(v);
  print_hints(v.hints, 0);
}

void print_truncation(const ExecResult& r, std::uint64_t limit_bytes) {
  const auto note = [&](const char* stream, const char* total_key) {
    const auto total = r.backend_info.find(total_key);
    std::fprintf(stderr, "kavach: %s truncated: kept the first %llu bytes%s%s%s (raise with --output-limit SIZE)\n",
                 stream, static_cast<unsigned long long>(limit_bytes),
                 total == r.backend_info.end() ? "" : " of ",
                 total == r.backend_info.end() ? "" : total->second.c_str(),
                 total == r.backend_info.end() ? "" : " written");
  };
  if (r.stdout_truncated) note("stdout", "stdout_bytes_total");
  if (r.stderr_truncated) note("stderr", "stderr_bytes_total");
}

void print_error_debug(const Error& e) {
  const auto plan = e.context.find("mount_plan");
  if (plan == e.context.end()) {
    std::fprintf(stderr, "kavach: mount plan: not reached (the error came before the sandbox's set-up)\n");
    return;
  }
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= plan->second.size()) {
    const auto nl = plan->second.find('\n', start);
    lines.push_back(plan->second.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  print_lines("mount plan, in order", lines);
}

}  // namespace kavach::cli
