// Sandbox: lifecycle FSM around one backend, with audit events for every step.
#include "kavach/sandbox.hpp"

#include "kavach/json.hpp"

#include "sandbox/gate_run.hpp"
#include "sandbox/stream_gate.hpp"
#include "core/hex.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>

namespace kavach {
namespace {

// An id, not a secret: the kernel's getrandom is enough (OpenSSL's DRBG would cost the CLI
// its provider set-up, ~0.6 ms, on every run).
std::string new_sandbox_id() {
  std::array<unsigned char, 8> raw{};
  if (::getrandom(raw.data(), raw.size(), GRND_NONBLOCK) != static_cast<ssize_t>(raw.size())) {
    static std::atomic<unsigned> counter{0};
    return "kv-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  }
  return "kv-" + hex_encode(raw.data(), raw.size());
}


nlohmann::json gate_event(const gate::Report& g, OutputRelease release) {
  std::map<std::string, std::size_t> by_rule;
  for (const auto& f : g.findings) ++by_rule[f.rule_id];
  return {{"verdict", std::string(gate::to_string(g.verdict))},
          {"findings", g.findings.size()},
          {"by_rule", by_rule},
          {"bytes_scanned", g.bytes_scanned},
          {"limit_exceeded", g.limit_exceeded},
          {"release", std::string(to_string(release))}};
}

OutputRelease release_for(gate::Verdict v) {
  switch (v) {
    case gate::Verdict::pass:
    case gate::Verdict::warn: return OutputRelease::released;
    case gate::Verdict::quarantine: return OutputRelease::quarantined;
    case gate::Verdict::block: return OutputRelease::withheld;
  }
  return OutputRelease::withheld;
}

// What a policy_violation event says besides its reason.
nlohmann::json violation_event(ViolationReason why, const RunReport& rep, const SandboxPolicy& policy) {
  nlohmann::json j = {{"reason", std::string(to_string(why))}};
  const ResourceLimits& l = policy.limits;
  switch (why) {
    case ViolationReason::timeout:
      j["limit_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(l.wall_timeout).count();
      break;
    case ViolationReason::oom:
      if (l.memory_bytes) j["limit_bytes"] = *l.memory_bytes;
      break;
    case ViolationReason::pids_limit:
      if (l.pids) j["limit"] = *l.pids;
      break;
    case ViolationReason::seccomp_kill:
      j["signal"] = SIGSYS;
      j["seccomp_mode"] = std::string(to_string(policy.seccomp.mode));
      break;
    case ViolationReason::gate_block:
      if (rep.gate) j["findings"] = rep.gate->findings.size();
      break;
    case ViolationReason::cpu_limit:
    case ViolationReason::gate_withheld: break;
  }
  return j;
}

// Names the policy itself puts into the sandbox's environment: a secret injected under one of
// them would be silently overridden or override it (both backends set PATH by default).
std::vector<std::string> policy_env_names(const SandboxPolicy& policy) {
  std::vector<std::string> names = policy.env_allow;
  names.emplace_back("PATH");
  return names;
}

}  // namespace

std::vector<ViolationReason> policy_violations(const RunReport& report) {
  const ExecResult& r = report.result;
  std::vector<ViolationReason> out;
  if (r.timed_out) out.push_back(ViolationReason::timeout);
  if (r.oom_killed) out.push_back(ViolationReason::oom);
  if (r.pids_limit_hit) out.push_back(ViolationReason::pids_limit);
  if (r.cpu_limit_hit) out.push_back(ViolationReason::cpu_limit);
  if (r.signal && *r.signal == SIGSYS) out.push_back(ViolationReason::seccomp_kill);
  if (report.gate && report.gate->verdict == gate::Verdict::block) out.push_back(ViolationReason::gate_block);
  return out;
}

std::string_view to_string(OutputRelease r) {
  switch (r) {
    case OutputRelease::released: return "released";
    case OutputRelease::quarantined: return "quarantined";
    case OutputRelease::withheld: return "withheld";
    case OutputRelease::ungated: return "ungated";
  }
  return "withheld";
}

Sandbox::Sandbox(SandboxConfig config, std::unique_ptr<Backend> backend)
    : config_(std::move(config)), backend_(std::move(backend)), id_(new_sandbox_id()) {}

Sandbox::~Sandbox() {
  if (state_ == State::destroyed) return;
  try {
    if (state_ == State::running) {
      emit(AuditEventType::stopped, {{"reason", "released"}});
    }
    (void)backend_->destroy();
    emit(AuditEventType::destroyed, {{"reason", "released"}});
  } catch (...) {  // a destructor must not throw (json allocation); the backend is destroyed above
  }
}

Result<std::unique_ptr<Sandbox>> Sandbox::create(SandboxConfig config) {
  auto backend = create_backend(config.backend);
  if (!backend) return tl::unexpected(backend.error());
  return create(std::move(config), std::move(*backend));
}

Result<std::unique_ptr<Sandbox>> Sandbox::create(SandboxConfig config,
                                                 std::unique_ptr<Backend> backend) {
  if (!backend) return fail(ErrorCode::invalid_argument, "backend is null");
  if (!config.secret_refs.empty()) {
    if (!config.credentials) {
      return fail(ErrorCode::secret_error, "secret refs given without a credential proxy",
                  {{"reason", std::string(kReasonMissingProxy)}});
    }
    // Unknown names and duplicate targets (also against the policy's environment) fail here,
    // before `created` is emitted.
    if (auto v = config.credentials->validate(config.secret_refs, Command{}, policy_env_names(config.policy)); !v) {
      return tl::unexpected(v.error());
    }
  }
  std::unique_ptr<Sandbox> s(new Sandbox(std::move(config), std::move(backend)));
  s->emit(AuditEventType::created, {{"backend", std::string(to_string(s->backend_->kind()))},
                                    {"policy", s->config_.policy->name}});
  return s;
}

void Sandbox::emit(AuditEventType type, nlohmann::json data) {
  AuditEvent ev;
  ev.type = type;
  ev.sandbox_id = id_;
  ev.data = std::move(data);
  std::lock_guard lk(emit_mu_);
  for (const auto& h : config_.hooks) h->on_event(ev);
}

Result<void> Sandbox::move(LifecycleEvent e) {
  std::lock_guard lk(state_mu_);
  auto next = transition(state_.load(), e);
  if (!next) return tl::unexpected(next.error());
  state_ = *next;
  return {};
}

Result<RunReport> Sandbox::exec(const Command& cmd) {
  // The arguments first: a command that cannot run leaves the lifecycle where it was.
  if (cmd.argv.empty()) return fail(ErrorCode::invalid_argument, "command is empty");
  if (cmd.stdin_data && cmd.stdin_fd >= 0) {
    return fail(ErrorCode::invalid_argument, "stdin_data and stdin_fd are exclusive: one stdin per command");
  }
  if (auto m = move(LifecycleEvent::start); !m) return tl::unexpected(m.error());
  // argv[0] only: arguments may carry data the caller considers sensitive.
  // Secrets go into a private copy of the command, which is wiped as soon as the backend is done.
  Command prepared = cmd;
  nlohmann::json secret_names = nlohmann::json::array();
  if (config_.credentials && !config_.secret_refs.empty()) {
    if (auto inj = config_.credentials->inject(config_.secret_refs, prepared); !inj) {
      emit(AuditEventType::setup_failure, {{"stage", "credentials"}, {"message", inj.error().message}});
      return tl::unexpected(inj.error());
    }
    for (const auto& r : config_.secret_refs) {
      secret_names.push_back({{"name", r.name}, {"method", std::string(to_string(r.method))}});
    }
  }
  // Live output passes the gate in the stream: the session exists before the first byte.
  GateRun g;
  if (auto opened = open_gate(g); !opened) {
    emit(AuditEventType::gate_verdict, {{"verdict", "error"}, {"release", "withheld"},
                                        {"message", opened.error().message}});
    if (config_.credentials) config_.credentials->scrub(prepared);
    return tl::unexpected(opened.error());
  }
  if (cmd.output != nullptr && g.active) {
    StreamGateOptions so;
    so.enforce_verdict = g.rules_on;
    so.kill_on_block = config_.gate.kill_on_block;
    so.keep_bytes = config_.policy->limits.output_bytes;
    g.stream = std::make_unique<StreamGate>(*g.session, cmd.output, so);
    if (auto o = g.stream->open(); !o) {
      if (config_.credentials) config_.credentials->scrub(prepared);
      return tl::unexpected(o.error());
    }
    prepared.output = g.stream.get();
  }
  emit(AuditEventType::exec_started,
       {{"program", cmd.argv.front()}, {"argc", cmd.argv.size()}, {"secrets", secret_names},
        {"live", cmd.output != nullptr}, {"terminal", cmd.terminal.has_value()}});
  auto result = backend_->exec(config_.policy, prepared);
  if (config_.credentials) config_.credentials->scrub(prepared);
  if (!result) {
    emit(AuditEventType::setup_failure, {{"code", std::string(to_string(result.error().code))},
                                         {"message", result.error().message}});
    return tl::unexpected(result.error());
  }
  RunReport report{std::move(*result), {}, std::nullopt, OutputRelease::ungated};
  report.score = compute_score(backend_->kind(), report.result.enforcement);
  emit(AuditEventType::enforcement, {{"controls", to_json(report.result.enforcement)}});
  nlohmann::json finished = {{"final_status", std::string(to_string(report.result.final_status()))},
                             {"timed_out", report.result.timed_out},
                             {"oom_killed", report.result.oom_killed},
                             {"duration_ms", report.result.duration_ms}};
  if (report.result.exit_code) finished["exit_code"] = *report.result.exit_code;
  if (report.result.signal) finished["signal"] = *report.result.signal;
  if (report.result.setup_failure) finished["setup_failure_stage"] = report.result.setup_failure->stage;
  if (report.result.stopped_by_consumer) finished["stopped_by_consumer"] = true;
  for (const EgressConnection& c : report.result.egress.connections) {
    emit(c.allowed ? AuditEventType::egress_allowed : AuditEventType::egress_denied, to_json(c));
  }
  if (report.result.egress.active) {
    finished["egress"] = {{"allowed", report.result.egress.allowed}, {"denied", report.result.egress.denied},
                          {"bytes_up", report.result.egress.bytes_up},
                          {"bytes_down", report.result.egress.bytes_down}};
  }
  emit(AuditEventType::exec_finished, finished);
  emit(AuditEventType::score, {{"value", report.score.value}, {"label", report.score.label}});
  auto gated = g.stream ? gate_stream(report, g) : gate_outputs(report, g);
  if (!gated) {
    emit(AuditEventType::policy_violation, violation_event(ViolationReason::gate_withheld, report, config_.policy));
    return tl::unexpected(gated.error());
  }
  for (ViolationReason why : policy_violations(report)) {
    emit(AuditEventType::policy_violation, violation_event(why, report, config_.policy));
  }
  return report;
}

// The gate's session for one exec: the rules (builtin unless configured) and every registered
// secret value, injected or not (a secret must not leave in any encoding). With the rules off,
// registered secrets are still redacted (verdict warn, released).
Result<void> Sandbox::open_gate(GateRun& g) {
  g.rules_on = config_.gate.enabled;
  const bool has_secrets = config_.credentials && config_.credentials->size() > 0;
  g.active = g.rules_on || has_secrets;
  if (!g.active) return {};
  std::shared_ptr<const gate::Gate> rules = config_.gate.rules;
  if (!rules) {
    auto builtin = gate::Gate::builtin();
    if (!builtin) return tl::unexpected(builtin.error());
    rules = std::move(*builtin);
  }
  gate::Options options = config_.gate.options;
  if (!g.rules_on) {
    for (const auto& rule : rules->rules()) options.disabled_rules.push_back(rule.id);
    options.policy.registered_secret = gate::Verdict::warn;
  }
  g.session = std::make_unique<gate::Session>(rules, options);
  if (has_secrets) {
    // values() and names() list the secrets in the same order.
    const auto values = config_.credentials->values();
    const auto names = config_.credentials->names();
    for (std::size_t i = 0; i < values.size() && i < names.size(); ++i) {
      if (auto reg = g.session->register_secret(names[i], values[i]); !reg) return tl::unexpected(reg.error());
    }
  }
  return {};
}

// Every output passes the gate before anyone sees it: redacted, judged, and dropped on `block`.
// If the gate cannot scan, nothing is released (fail closed) and the run reports gate_error.
Result<void> Sandbox::gate_outputs(RunReport& report, GateRun& g) {
  ExecResult& r = report.result;
  if (!g.active) {
    report.release = OutputRelease::ungated;
    emit(AuditEventType::gate_verdict, {{"verdict", "disabled"}, {"release", "ungated"}});
    return {};
  }
  auto gated = gate::apply(*g.session, r);
  if (!gated) {
    r.stdout_data.clear();
    r.stderr_data.clear();
    report.release = OutputRelease::withheld;
    emit(AuditEventType::gate_verdict, {{"verdict", "error"}, {"release", "withheld"},
                                        {"message", gated.error().message}});
    return tl::unexpected(gated.error());
  }
  return settle_release(report, g.rules_on, std::move(*gated));
}

// Live output: the stream gate already released what it judged safe; the result keeps the
// redacted output (for a quarantine's review) unless the verdict is block.
Result<void> Sandbox::gate_stream(RunReport& report, GateRun& g) {
  ExecResult& r = report.result;
  r.stdout_data = g.stream->take_kept(OutputStream::stdout_stream);
  r.stderr_data = g.stream->take_kept(OutputStream::stderr_stream);
  r.stdout_truncated = r.stdout_truncated || g.stream->kept_truncated(OutputStream::stdout_stream);
  r.stderr_truncated = r.stderr_truncated || g.stream->kept_truncated(OutputStream::stderr_stream);
  if (const auto& e = g.stream->error(); e) {
    r.stdout_data.clear();
    r.stderr_data.clear();
    report.release = OutputRelease::withheld;
    emit(AuditEventType::gate_verdict, {{"verdict", "error"}, {"release", "withheld"}, {"message", e->message}});
    return tl::unexpected(*e);
  }
  gate::Report gated = g.session->report();
  report.released_live_bytes = g.stream->released_bytes();
  report.release_stopped = g.stream->withholding();
  return settle_release(report, g.rules_on, std::move(gated));
}

Result<void> Sandbox::settle_release(RunReport& report, bool rules_on, gate::Report gated) {
  ExecResult& r = report.result;
  if (!rules_on) {
    report.release = OutputRelease::ungated;
    emit(AuditEventType::gate_verdict, {{"verdict", "disabled"},
                                        {"release", "ungated"},
                                        {"registered_secrets_redacted", gated.findings.size()}});
    return {};
  }
  report.release = release_for(gated.verdict);
  if (report.release == OutputRelease::withheld) {
    r.stdout_data.clear();
    r.stderr_data.clear();
  }
  nlohmann::json ev = gate_event(gated, report.release);
  if (report.released_live_bytes) {
    ev["released_live_bytes"] = *report.released_live_bytes;
    ev["release_stopped"] = report.release_stopped;
  }
  emit(AuditEventType::gate_verdict, ev);
  report.gate = std::move(gated);
  return {};
}

Result<void> Sandbox::stop() {
  if (auto m = move(LifecycleEvent::stop); !m) return m;
  emit(AuditEventType::stopped);
  return {};
}

Result<void> Sandbox::destroy() {
  if (auto m = move(LifecycleEvent::destroy); !m) return m;
  auto r = backend_->destroy();
  emit(AuditEventType::destroyed);
  return r;
}

}  // namespace kavach
