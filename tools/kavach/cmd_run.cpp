// kavach run: one command in a sandbox; its output, result, enforcement report and score.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "cli_common.hpp"
#include "live_io.hpp"
#include "commands.hpp"
#include "kavach/audit_log.hpp"
#include "kavach/credential.hpp"
#include "kavach/gate.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"
#include "quarantine.hpp"
#include "run_hints.hpp"
#include "run_options.hpp"
#include "run_report.hpp"
#include "exit_codes.hpp"
#include "run_exports.hpp"
#include "credential_flags.hpp"

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

int do_run(const RunOptions& o) {
  // The builtin gate's database loads on the other core while the policy is resolved and the
  // sandbox is set up (Gate::builtin is a thread-safe one-time load: exec waits for it only if
  // it is not done yet). Joined when do_run returns.
  std::optional<std::jthread> gate_warm_up;
  if (!o.no_gate && o.gate_rules.empty()) gate_warm_up.emplace([] { (void)gate::Gate::builtin(); });
  auto backend = resolve_backend(o.policy);
  if (!backend) return report_error(backend.error(), o.json);
  auto valid = resolve_policy(o.policy);
  if (!valid) return report_error(valid.error(), o.json);
  auto exports = parse_export_specs(o.exports);
  if (!exports) return report_error(exports.error(), o.json);
  SandboxConfig config{*backend, std::move(*valid), {}, nullptr, {}, GateSettings{}};
  // The audit log first, so a bad secret source is recorded too.
  if (auto r = add_audit_log(o, config); !r) return report_error(r.error(), o.json);
  if (auto r = add_credentials(o, config); !r) return report_error(r.error(), o.json);
  if (auto r = add_gate(o, config); !r) return report_error(r.error(), o.json);
  auto sandbox = Sandbox::create(std::move(config));
  if (!sandbox) return report_error(sandbox.error(), o.json);
  const SandboxPolicy* policy = &(*sandbox)->config().policy.get();
  Command cmd;
  cmd.argv = o.command;
  cmd.env = command_env(o.policy);
  // Extra CAs the egress proxy trusts for destinations with credential placeholders (a private
  // CA; docs/network.md). The system's CAs are always trusted.
  if (const char* ca = std::getenv("KAVACH_EGRESS_CA"); ca != nullptr && *ca != '\0') {
    std::ifstream in(ca);
    std::ostringstream pem;
    pem << in.rdbuf();
    if (!in || pem.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return report_error(make_error(ErrorCode::invalid_argument,
                                     std::string("KAVACH_EGRESS_CA: '") + ca + "' is not a readable PEM certificate file",
                                     {{"path", ca}}),
                          o.json);
    }
    cmd.egress_upstream_ca_pem = pem.str();
  }
  // Live I/O: stdin as a stream, output as it comes (text, or events), a terminal with -t.
  StdinSource input;
  if (auto in = open_stdin(o.stdin_spec, o.tty, input); !in) return report_error(in.error(), o.json);
  cmd.stdin_fd = input.fd;
  TerminalSink to_terminal;
  EventSink to_events;
  if (o.json_lines) {
    cmd.output = &to_events;
    EventSink::emit({{"event", "started"}, {"schema_version", kJsonSchemaVersion}, {"sandbox_id", (*sandbox)->id()},
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
  if (!rep) {
    if (o.debug && !o.json) print_error_debug(rep.error());
    return report_error(with_setup_hint(rep.error(), *policy), o.json);
  }
  const std::string sandbox_id = (*sandbox)->id();
  std::optional<std::filesystem::path> quarantine_flag;
  if (!o.quarantine_dir.empty()) quarantine_flag = o.quarantine_dir;
  const std::vector<ExportOutcome> exported = run_exports(**sandbox, *exports, quarantine_flag);
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
  RunView view{*rep, *policy, *backend, sandbox_id, quarantined_to, run_failure_hints(*rep, *policy, cmd),
               o.debug};
  if (o.json_lines) {
    // The output went out as events already: the exit event is the result without it.
    nlohmann::json j = run_json(view);
    if (!exported.empty()) j["exports"] = to_json(exported);
    for (const char* k : {"stdout", "stderr", "stdout_b64", "stderr_b64"}) j.erase(k);
    j["event"] = "exit";
    EventSink::emit(j);
  } else if (o.json) {
    nlohmann::json j = run_json(view);
    if (!exported.empty()) j["exports"] = to_json(exported);
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    // The output went to this terminal while the command ran (through the gate).
    print_truncation(rep->result, policy->limits.output_bytes);
    print_run_text(view, o.quiet);
    if (rep->release_stopped) {
      std::fprintf(stderr, "kavach: the gate stopped the output after %llu bytes: the rest was withheld\n",
                   static_cast<unsigned long long>(rep->released_live_bytes.value_or(0)));
    }
    if (rep->release == OutputRelease::withheld) {
      std::fprintf(stderr, "kavach: output withheld: the gate's verdict is block\n");
    } else if (quarantined_to) {
      std::fprintf(stderr, "kavach: output quarantined (redacted) in %s\n", quarantined_to->c_str());
    }
    print_exports(exported);
  }
  if (rep->release == OutputRelease::withheld) return cli_exit_code(ErrorCode::output_blocked);
  if (const int s = exports_status(exported); s == cli_exit_code(ErrorCode::output_blocked)) return s;
  if (rep->release == OutputRelease::quarantined) return cli_exit_code(ErrorCode::output_quarantined);
  if (const int s = exports_status(exported); s != 0) return s;
  return shell_status(rep->result);
}

}  // namespace

void add_run_options(CLI::App* cmd, RunOptions& o) {
  add_policy_options(cmd, o.policy);
  cmd->add_flag("--json", o.json, "one JSON object: result, enforcement, score (docs/json/run.schema.json)");
  cmd->add_flag("--json-lines", o.json_lines, "live events, one JSON object per line (docs/streaming.md)");
  cmd->add_option("--stdin", o.stdin_spec,
                  "the command's stdin: - (streamed), none, FILE, auto (default: - unless a terminal without -t)")
      ->type_name("SPEC");
  cmd->add_flag("-t,--tty", o.tty, "run on a terminal: a PTY of the sandbox's own devpts (output still gated)");
  cmd->add_flag("-q,--quiet", o.quiet, "no summary after the output (errors, hints and cuts still show)");
  cmd->add_flag("-v,--debug", o.debug, "also show the mount plan and each set-up stage's time");
  // One value per use (repeat the option): otherwise CLI11 would take the words after `--`
  // as further values, and `-- cmd --no-gate` would switch the gate off.
  cmd->add_option("--secret", o.secrets, "register a secret; SRC env:VAR, file:PATH or cmd:CMD (read once)")
      ->type_name("NAME=SRC")
      ->allow_extra_args(false);
  cmd->add_option("--inject", o.injects, "deliver a secret; TO env:VAR, file:/PATH, stdin or egress:VAR@HOST/HEADER (output redacted)")
      ->type_name("NAME=TO")
      ->allow_extra_args(false);
  cmd->add_option("--audit-log", o.audit_log, "append this run's events to a hash-chained log")->type_name("FILE");
  cmd->add_option("--audit-key", o.audit_key, "HMAC key for --audit-log (default: the per-user key)")
      ->type_name("FILE");
  cmd->add_option("--audit-anchor-dir", o.audit_anchor_dir, "where --audit-log's rollback anchor is kept")
      ->type_name("DIR");
  cmd->add_flag("--no-gate", o.no_gate, "release output without the gate's rules (audited; secrets still redacted)");
  cmd->add_option("--gate-rules", o.gate_rules, "gitleaks-format rule file instead of the builtin rules")
      ->type_name("FILE");
  cmd->add_option("--quarantine-dir", o.quarantine_dir, "where quarantined output is kept")->type_name("DIR");
  cmd->add_option("--export", o.exports, "after the run, a file the command wrote, through the gate, to DEST (repeatable)")
      ->type_name("PATH[:DEST]")
      ->allow_extra_args(false);
  cmd->add_option("command", o.command,
                  "the command and its arguments, after --; kavach exits with its status (kavach help exit-codes)")
      ->type_name("CMD ARGS")
      ->required();
}

void register_run(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "run a command inside a sandbox");
  add_run_options(cmd, *opts);
  cmd->footer("");  // the exit statuses are named on the command's own line (kavach help exit-codes)
  cmd->callback([opts, &exit_code] { exit_code = do_run(*opts); });
}

}  // namespace kavach::cli
