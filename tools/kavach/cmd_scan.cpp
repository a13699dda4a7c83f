#include "cmd_scan.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_common.hpp"
#include "kavach/gate.hpp"
#include "numeric_flag.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

struct ScanArgs {
  std::vector<std::string> inputs;
  std::string rules;
  bool json = false;
  bool redact = false;
  bool no_pii = false;
  bool redact_pii = false;
  bool no_cache = false;
  std::optional<std::string> max_bytes;  // checked by parse_numeric_flag (CLI11 would wrap "-5")
  std::vector<std::string> secret_env;
};


// Streams one input through a scanner in 64 KiB chunks (the same path a sandbox's output takes).
Result<void> scan_one(gate::Session& session, const std::string& input, bool redact) {
  std::unique_ptr<std::ifstream> file;
  std::istream* in = &std::cin;
  const std::string source = input == "-" ? "stdin" : input;
  if (input != "-") {
    file = std::make_unique<std::ifstream>(input, std::ios::binary);
    if (!*file) {
      return fail(ErrorCode::path_not_found, "cannot open input " + input, {{"file", input}});
    }
    in = file.get();
  }
  auto scanner = session.open(source);
  if (!scanner) return tl::unexpected(scanner.error());
  std::string chunk(64 * 1024, '\0');
  std::string out;
  while (*in) {
    in->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = static_cast<std::size_t>(in->gcount());
    if (n == 0) break;
    out.clear();
    auto w = (*scanner)->write(std::string_view(chunk.data(), n), out);
    if (!w) return w;
    if (redact) std::fwrite(out.data(), 1, out.size(), stdout);
  }
  if (in->bad()) return fail(ErrorCode::io_error, "read error", {{"file", source}});
  out.clear();
  auto f = (*scanner)->finish(out);
  if (redact) std::fwrite(out.data(), 1, out.size(), stdout);
  return f;
}

// A count of bytes read, never allocated: up to the largest file Linux can hold (2^63-1).
constexpr NumericFlag kMaxBytesFlag{{"--max-bytes", 1, INT64_MAX, "bytes", 1}, 1, ""};

int run_scan(const ScanArgs& a) {
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();  // no limit unless asked for
  if (a.max_bytes) {
    auto n = parse_numeric_flag(kMaxBytesFlag, *a.max_bytes);
    if (!n) return report_error(n.error(), a.json);
    max_bytes = *n;
  }
  Result<std::shared_ptr<const gate::Gate>> g =
      a.rules.empty() ? gate::Gate::builtin()
                      : gate::Gate::from_file(a.rules, gate::LoadOptions{!a.no_cache, std::nullopt});
  if (!g) return report_error(g.error(), a.json);

  gate::Options opts;
  opts.limits.max_stream_bytes = max_bytes;
  opts.limits.max_total_bytes = std::numeric_limits<std::uint64_t>::max();
  if (a.no_pii) opts.disabled_tags.emplace_back("pii");
  opts.redact_personal_data = a.redact_pii;
  gate::Session session(*g, opts);
  for (const auto& name : a.secret_env) {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) {
      return report_error(make_error(ErrorCode::invalid_argument, "--secret-env " + name + ": the variable is not set",
                                     {{"name", name}}),
                          a.json);
    }
    auto ok = session.register_secret(name, v);
    if (!ok) return report_error(ok.error(), a.json);
  }

  const std::vector<std::string> inputs = a.inputs.empty() ? std::vector<std::string>{"-"} : a.inputs;
  for (const auto& input : inputs) {
    auto ok = scan_one(session, input, a.redact);
    if (!ok) return report_error(ok.error(), a.json);
  }
  std::fflush(stdout);
  const gate::Report report = session.report();
  FILE* where = a.redact ? stderr : stdout;
  if (a.json) {
    nlohmann::json j = gate::to_json(report);
    j["rules"] = {{"origin", (*g)->load_info().origin},
                  {"count", (*g)->load_info().rule_count},
                  {"load_ms", (*g)->load_info().load_ms}};
    j["schema_version"] = kJsonSchemaVersion;
    fmt::print(where, "{}\n", dump_json(j));
  } else {
    for (const auto& f : report.findings) {
      fmt::print(where, "{}:{}: {} ({}, {}){} {}\n", f.source, f.line, f.rule_id,
                 gate::to_string(f.severity), gate::to_string(f.verdict),
                 f.encoding.empty() ? "" : " [" + f.encoding + "]", f.preview);
    }
    fmt::print(stderr, "kavach scan: {} finding(s) in {} bytes, verdict {}\n",
               report.findings.size(), report.bytes_scanned, gate::to_string(report.verdict));
  }
  return scan_exit_code(report.verdict);
}

}  // namespace

void register_scan(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "scan files or stdin for secrets and personal data with the externalization gate");
  cmd->footer("Exit status: 0 pass, 1 warn, 2 quarantine, 3 block (the worst verdict); kavach's errors: kavach help "
              "exit-codes.");
  cmd->add_option("inputs", args->inputs, "Files to scan; '-' or none reads stdin");
  cmd->add_option("--rules", args->rules,
                  "Rule file (gitleaks TOML format; [extend] useDefault = true adds the builtin rules)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--redact", args->redact,
                "Write the redacted input to stdout (findings go to stderr)");
  cmd->add_flag("--no-pii", args->no_pii, "Turn off the personal-data rules (tag \"pii\")");
  cmd->add_flag("--redact-personal-data", args->redact_pii,
                "With --redact, rewrite personal data (e-mail, phone...) too; by default it is reported, not rewritten");
  cmd->add_flag("--no-cache", args->no_cache, "Compile --rules without the database cache");
  cmd->add_option("--max-bytes", args->max_bytes,
                  "Size limit per input, " + describe_range(kMaxBytesFlag.range) +
                      "; the rest is withheld and the verdict is block")
      ->type_name("UINT");
  cmd->add_option("--secret-env", args->secret_env,
                  "Name of an environment variable whose value is a registered secret "
                  "(redacted in every encoding); repeatable")
      ->allow_extra_args(false);  // `--secret-env X file` keeps `file` an input
  cmd->callback([args, &exit_code] { exit_code = run_scan(*args); });
}

}  // namespace kavach::cli
