// kavach run: one command in a sandbox; its output, result, enforcement report and score.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "live_io.hpp"
#include "commands.hpp"
#include "kavach/audit_log.hpp"
#include "kavach/credential.hpp"
#include "kavach/gate.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"
#include "quarantine.hpp"
#include "run_options.hpp"

namespace kavach::cli {
namespace {

// --secret / --inject: everything is parsed and checked before any secret source is read. A
// failure is audited (to the sinks already open) with its reason, never with a value.
Result<void> add_credentials(const RunOptions& o, SandboxConfig& config) {
  if (o.secrets.empty() && o.injects.empty()) return {};
  // Before the first byte is read: no core dump, no same-uid ptrace of this process.
  if (auto h = harden_process_for_secrets(); !h) return h;
  auto loaded = load_credential_options(o.secrets, o.injects);
  if (!loaded) {
    AuditEvent ev;
    ev.type = AuditEventType::setup_failure;
    ev.data = {{"stage", "credentials"},
               {"code", std::string(to_string(loaded.error().code))},
               {"message", loaded.error().message},
               {"context", loaded.error().context}};
    for (const auto& h : config.hooks) h->on_event(ev);
    return tl::unexpected(loaded.error());
  }
  config.credentials = std::make_shared<CredentialProxy>(std::move(loaded->proxy));
  config.secret_refs = std::move(loaded->refs);
  return {};
}

// --audit-log FILE: hash-chained JSON-lines sink (key: --audit-key, $KAVACH_AUDIT_KEY_FILE, or
// the per-user default key), anchored against rollback (--audit-anchor-dir, else
// $KAVACH_AUDIT_ANCHOR_DIR, else the per-user state directory).
Result<void> add_audit_log(const RunOptions& o, SandboxConfig& config) {
  if (o.audit_log.empty()) return {};
  std::optional<std::filesystem::path> key_file;
  if (!o.audit_key.empty()) key_file = o.audit_key;
  AuditFileOptions options;
  if (!o.audit_anchor_dir.empty()) options.anchor_dir = o.audit_anchor_dir;
  auto sink = open_audit_log(o.audit_log, key_file, std::move(options));
  if (!sink) return tl::unexpected(sink.error());
  config.hooks.push_back(*sink);
  return {};
}

// --no-gate / --gate-rules FILE. The gate is on unless switched off; switching it off is audited.
Result<void> add_gate(const RunOptions& o, SandboxConfig& config) {
  config.gate.enabled = !o.no_gate;
  if (o.gate_rules.empty()) return {};
  if (o.no_gate) return fail(ErrorCode::invalid_argument, "--gate-rules and --no-gate contradict each other");
  auto g = gate::Gate::from_file(o.gate_rules);
  if (!g) return tl::unexpected(g.error());
  config.gate.rules = std::move(*g);
  return {};
}

void print_summary(const RunReport& rep, const SandboxPolicy& policy, BackendKind backend) {
  const ExecResult& r = rep.result;
  std::string status;
  if (r.setup_failure) status = "setup failed at " + r.setup_failure->stage + ": " + r.setup_failure->message;
  else if (r.timed_out) status = "timed out (whole tree killed)";
  else if (r.oom_killed) status = "killed: memory limit";
  else if (r.exit_code) status = "exit " + std::to_string(*r.exit_code);
  else if (r.signal) status = "signal " + std::to_string(*r.signal);
  if (r.pids_limit_hit) status += ", pids limit hit";
  if (r.stdout_truncated || r.stderr_truncated) status += ", output truncated";
  std::fprintf(stderr, "\n── kavach ── backend %s · policy %s · %s · %.1f ms\n",
               std::string(to_string(backend)).c_str(), policy.name.c_str(), status.c_str(), r.duration_ms);
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
  std::fprintf(stderr, "enforcement:\n");
  for (const auto& c : r.enforcement.controls()) {
    if (!c.requested) continue;
    std::fprintf(stderr, "  %s %-17s %s\n", c.applied ? "applied " : "MISSING ",
                 std::string(to_string(c.control)).c_str(), c.detail.c_str());
  }
}

int do_run(const RunOptions& o) {
  auto backend = resolve_backend(o.policy);
  if (!backend) return report_error(backend.error(), o.json);
  auto policy = resolve_policy(o.policy);
  if (!policy) return report_error(policy.error(), o.json);
  SandboxConfig config{*backend, *policy, {}, nullptr, {}, GateSettings{}};
  // The audit log first, so a bad secret source is recorded too.
  if (auto r = add_audit_log(o, config); !r) return report_error(r.error(), o.json);
  if (auto r = add_credentials(o, config); !r) return report_error(r.error(), o.json);
  if (auto r = add_gate(o, config); !r) return report_error(r.error(), o.json);
  auto sandbox = Sandbox::create(std::move(config));
  if (!sandbox) return report_error(sandbox.error(), o.json);
  Command cmd;
  cmd.argv = o.command;
  // Live I/O: stdin as a stream, output as it comes (text, or events), a terminal with -t.
  StdinSource input;
  if (auto in = open_stdin(o.stdin_spec, o.tty, input); !in) return report_error(in.error(), o.json);
  cmd.stdin_fd = input.fd;
  TerminalSink to_terminal;
  EventSink to_events;
  if (o.json_lines) {
    cmd.output = &to_events;
    EventSink::emit({{"event", "started"}, {"schema_version", 1}, {"sandbox_id", (*sandbox)->id()},
                     {"backend", std::string(to_string(*backend))}, {"policy", policy->name}});
  } else if (!o.json) {
    cmd.output = &to_terminal;
  }
  std::optional<CallerTerminal> caller;
  if (o.tty) {
    auto t = caller.emplace().start();
    if (!t) return report_error(t.error(), o.json);
    cmd.terminal = *t;
  }
  auto rep = (*sandbox)->exec(cmd);
  caller.reset();  // the caller's terminal is restored before anything is printed
  if (!rep) return report_error(rep.error(), o.json);
  const std::string sandbox_id = (*sandbox)->id();
  (void)(*sandbox)->stop();
  (void)(*sandbox)->destroy();
  // Quarantined output goes to a private directory, never to the terminal or the JSON.
  std::optional<std::filesystem::path> quarantined_to;
  if (rep->release == OutputRelease::quarantined) {
    std::optional<std::filesystem::path> flag;
    if (!o.quarantine_dir.empty()) flag = o.quarantine_dir;
    auto root = quarantine_root(flag);
    if (!root) return report_error(root.error(), o.json);
    auto dir = quarantine_outputs(*root, sandbox_id, *rep);
    if (!dir) return report_error(dir.error(), o.json);
    quarantined_to = *dir;
    rep->result.stdout_data.clear();
    rep->result.stderr_data.clear();
  }
  if (o.json || o.json_lines) {
    nlohmann::json j = to_json(rep->result);
    j["score"] = to_json(rep->score);
    j["backend"] = std::string(to_string(*backend));
    j["policy"] = policy->name;
    j["sandbox_id"] = sandbox_id;
    nlohmann::json g = rep->gate ? gate::to_json(*rep->gate) : nlohmann::json{{"verdict", "disabled"}};
    g["release"] = std::string(to_string(rep->release));
    if (quarantined_to) g["quarantine_dir"] = quarantined_to->string();
    if (rep->released_live_bytes) {
      g["released_live_bytes"] = *rep->released_live_bytes;
      g["release_stopped"] = rep->release_stopped;
    }
    j["gate"] = std::move(g);
    if (o.json_lines) {
      // The output went out as events already; the exit event is the result without it.
      j.erase("stdout");
      j.erase("stderr");
      j["event"] = "exit";
      j["schema_version"] = 1;
      EventSink::emit(j);
    } else {
      std::printf("%s\n", dump_json(j).c_str());
    }
  } else {
    // The output went to this terminal while the command ran (through the gate).
    if (!o.quiet) print_summary(*rep, *policy, *backend);
    if (rep->release_stopped) {
      std::fprintf(stderr, "kavach: the gate stopped the output after %llu bytes: the rest was withheld\n",
                   static_cast<unsigned long long>(rep->released_live_bytes.value_or(0)));
    }
    if (rep->release == OutputRelease::withheld) {
      std::fprintf(stderr, "kavach: output withheld: the gate's verdict is block\n");
    } else if (quarantined_to) {
      std::fprintf(stderr, "kavach: output quarantined (redacted) in %s\n", quarantined_to->c_str());
    }
  }
  if (rep->release == OutputRelease::withheld) return cli_exit_code(ErrorCode::output_blocked);
  if (rep->release == OutputRelease::quarantined) return cli_exit_code(ErrorCode::output_quarantined);
  return rep->result.shell_status();
}

}  // namespace

void add_run_options(CLI::App* cmd, RunOptions& o) {
  add_policy_options(cmd, o.policy);
  cmd->add_flag("--json", o.json, "print one JSON object with result, enforcement and score");
  cmd->add_flag("--json-lines", o.json_lines,
                "print live events, one JSON object per line: started, stdout/stderr chunks, exit (docs/streaming.md)");
  cmd->add_option("--stdin", o.stdin_spec,
                  "the command's stdin: - (this one, streamed), none (/dev/null), FILE, or auto (default: "
                  "this stdin unless it is a terminal without -t)")
      ->type_name("SPEC");
  cmd->add_flag("-t,--tty", o.tty,
                "run the command on a terminal (a PTY of the sandbox's own devpts; raw mode here, "
                "window size and signals passed on; output still gated)");
  cmd->add_flag("-q,--quiet", o.quiet, "no summary after the command's output");
  // One value per use (repeat the option): otherwise CLI11 would take the words after `--`
  // as further values, and `-- cmd --no-gate` would switch the gate off.
  cmd->add_option("--secret", o.secrets, std::string(kSecretOptionHelp))->allow_extra_args(false);
  cmd->add_option("--inject", o.injects, std::string(kInjectOptionHelp))->allow_extra_args(false);
  cmd->add_option("--audit-log", o.audit_log, "append this run's events to a hash-chained JSON-lines log");
  cmd->add_option("--audit-key", o.audit_key,
                  "HMAC key file for --audit-log (else $KAVACH_AUDIT_KEY_FILE, else a per-user key)");
  cmd->add_option("--audit-anchor-dir", o.audit_anchor_dir,
                  "where --audit-log's rollback anchor is kept, outside any sandbox (else "
                  "$KAVACH_AUDIT_ANCHOR_DIR, else $XDG_STATE_HOME/kavach/audit-anchors)");
  cmd->add_flag("--no-gate", o.no_gate,
                "release output without the gate's rules (audited); registered secrets are still redacted");
  cmd->add_option("--gate-rules", o.gate_rules, "gitleaks-format TOML rule file used instead of the builtin rules");
  cmd->add_option("--quarantine-dir", o.quarantine_dir,
                  "where quarantined output is kept (default $XDG_STATE_HOME/kavach/quarantine)");
  cmd->add_option("command", o.command, "command and arguments (after --)")->required();
}

void register_run(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "run a command inside a sandbox");
  add_run_options(cmd, *opts);
  cmd->footer("Exit status: the command's own, 128+N if signal N ended it; the gate's block 87 / quarantine 88; kavach's own errors 64-86 and 89 (an --audit-log cut back behind its anchor; see kavach --help).");
  cmd->callback([opts, &exit_code] { exit_code = do_run(*opts); });
}

}  // namespace kavach::cli
