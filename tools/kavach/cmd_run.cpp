// kavach run: one command in a sandbox; its output, result, enforcement report and score.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "kavach/audit_log.hpp"
#include "kavach/credential.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"
#include "policy_options.hpp"

namespace kavach::cli {
namespace {

struct RunOptions {
  PolicyOptions policy;
  bool json = false;
  bool quiet = false;
  std::vector<std::string> secrets;  // NAME=env:VAR | NAME=file:PATH | NAME=cmd:COMMAND
  std::vector<std::string> injects;  // NAME=env:VAR | NAME=file:/PATH | NAME=stdin
  std::string audit_log;
  std::string audit_key;
  std::vector<std::string> command;
};

// --secret / --inject: everything is parsed and checked before any secret source is read.
Result<void> add_credentials(const RunOptions& o, SandboxConfig& config) {
  if (o.secrets.empty() && o.injects.empty()) return {};
  auto loaded = load_credential_options(o.secrets, o.injects);
  if (!loaded) return tl::unexpected(loaded.error());
  config.credentials = std::make_shared<CredentialProxy>(std::move(loaded->proxy));
  config.secret_refs = std::move(loaded->refs);
  return {};
}

// --audit-log FILE: hash-chained JSON-lines sink (key: --audit-key, $KAVACH_AUDIT_KEY_FILE, or
// the per-user default key).
Result<void> add_audit_log(const RunOptions& o, SandboxConfig& config) {
  if (o.audit_log.empty()) return {};
  std::optional<std::filesystem::path> key_file;
  if (!o.audit_key.empty()) key_file = o.audit_key;
  auto sink = open_audit_log(o.audit_log, key_file);
  if (!sink) return tl::unexpected(sink.error());
  config.hooks.push_back(*sink);
  return {};
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
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
  std::fprintf(stderr, "\nenforcement:\n");
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
  SandboxConfig config{*backend, *policy, {}, nullptr, {}};
  if (auto r = add_credentials(o, config); !r) return report_error(r.error(), o.json);
  if (auto r = add_audit_log(o, config); !r) return report_error(r.error(), o.json);
  auto sandbox = Sandbox::create(std::move(config));
  if (!sandbox) return report_error(sandbox.error(), o.json);
  Command cmd;
  cmd.argv = o.command;
  auto rep = (*sandbox)->exec(cmd);
  if (!rep) return report_error(rep.error(), o.json);
  (void)(*sandbox)->stop();
  (void)(*sandbox)->destroy();
  if (o.json) {
    nlohmann::json j = to_json(rep->result);
    j["score"] = to_json(rep->score);
    j["backend"] = std::string(to_string(*backend));
    j["policy"] = policy->name;
    std::printf("%s\n", dump_json(j).c_str());
  } else {
    write_all(STDOUT_FILENO, rep->result.stdout_data);
    write_all(STDERR_FILENO, rep->result.stderr_data);
    if (!o.quiet) print_summary(*rep, *policy, *backend);
  }
  return rep->result.shell_status();
}

}  // namespace

void register_run(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "run a command inside a sandbox");
  add_policy_options(cmd, opts->policy);
  cmd->add_flag("--json", opts->json, "print one JSON object with result, enforcement and score");
  cmd->add_flag("-q,--quiet", opts->quiet, "no summary after the command's output");
  cmd->add_option("--secret", opts->secrets, std::string(kSecretOptionHelp));
  cmd->add_option("--inject", opts->injects, std::string(kInjectOptionHelp));
  cmd->add_option("--audit-log", opts->audit_log, "append this run's events to a hash-chained JSON-lines log");
  cmd->add_option("--audit-key", opts->audit_key,
                  "HMAC key file for --audit-log (else $KAVACH_AUDIT_KEY_FILE, else a per-user key)");
  cmd->add_option("command", opts->command, "command and arguments (after --)")->required();
  cmd->footer("Exit status: the command's own, 128+N if signal N ended it; kavach's own errors use 64-86 (see kavach --help).");
  cmd->callback([opts, &exit_code] { exit_code = do_run(*opts); });
}

}  // namespace kavach::cli
