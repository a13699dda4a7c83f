// kavach score / policy check: what a policy asks for, before running anything.
#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "kavach/backend.hpp"
#include "kavach/json.hpp"
#include "kavach/policy.hpp"
#include "kavach/score.hpp"
#include "policy_options.hpp"

namespace kavach::cli {

namespace {

std::string cannot_run_reason(BackendKind backend, Maturity maturity) {
  const std::string name(to_string(backend));
  switch (maturity) {
    case Maturity::config_only: return "kavach only writes a runtime config for " + name + ", it runs nothing";
    case Maturity::runs_nothing: return name + " is a test double: it reports success without running anything";
    case Maturity::not_implemented: return "kavach has no driver for " + name + " yet";
    case Maturity::runs_commands: break;
  }
  return {};
}

// A backend that runs no command has no score: any number would describe a run that cannot happen.
void print_cannot_run(BackendKind backend, Maturity maturity, const SandboxPolicy& policy, bool json) {
  const std::string reason = cannot_run_reason(backend, maturity);
  if (json) {
    print_json({{"value", nullptr}, {"label", nullptr}, {"basis", "requested"}, {"breakdown", nlohmann::json::array()},
                {"backend", std::string(to_string(backend))}, {"maturity", std::string(to_string(maturity))},
                {"policy", policy.name}, {"runnable", false}, {"reason", reason}});
    return;
  }
  std::printf("backend %s: cannot run here (%s): %s, so no run can have a score\n",
              std::string(to_string(backend)).c_str(), std::string(to_string(maturity)).c_str(), reason.c_str());
  std::printf("(kavach backends lists the backends that run commands on this host)\n");
}

void print_score(BackendKind backend, const Availability& here, const SandboxPolicy& policy, bool json) {
  const StrengthScore s = requested_score(backend, policy);
  if (json) {
    nlohmann::json j = to_json(s);
    j["backend"] = std::string(to_string(backend));
    j["maturity"] = std::string(to_string(Maturity::runs_commands));
    j["policy"] = policy.name;
    j["runnable"] = true;
    j["available"] = here.available;
    j["reason"] = here.reason;
    print_json(std::move(j));
    return;
  }
  std::printf("requested score %d/100 (%s) for backend %s, policy %s\n", s.value, s.label.c_str(),
              std::string(to_string(backend)).c_str(), policy.name.c_str());
  if (!here.available) std::printf("  not available on this host: %s\n", here.reason.c_str());
  for (const auto& item : s.breakdown) std::printf("  %+4d  %s\n", item.points, item.label.c_str());
  std::printf("(the enforced score of a real run counts only controls the host applied)\n");
}

}  // namespace

void register_score(CLI::App& app, int& exit_code) {
  struct Opts {
    PolicyOptions policy;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand(
      "score", "the REQUESTED score of a policy on a backend (the enforced score comes from a run)");
  add_policy_options(cmd, o->policy);
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->callback([o, &exit_code] {
    auto backend = resolve_backend(o->policy);
    if (!backend) {
      exit_code = report_error(backend.error(), o->json);
      return;
    }
    auto policy = resolve_policy(o->policy);
    if (!policy) {
      exit_code = report_error(policy.error(), o->json);
      return;
    }
    auto impl = create_backend(*backend);
    const Maturity maturity = impl ? (*impl)->maturity() : Maturity::not_implemented;
    if (maturity != Maturity::runs_commands) {
      print_cannot_run(*backend, maturity, *policy, o->json);
    } else {
      print_score(*backend, impl ? (*impl)->availability() : Availability{}, *policy, o->json);
    }
    exit_code = 0;
  });
}

void register_policy(CLI::App& app, int& exit_code) {
  struct Opts {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* policy = app.add_subcommand("policy", "policy files");
  policy->require_subcommand(1);
  CLI::App* check = policy->add_subcommand("check", "validate a TOML policy file and print the effective policy");
  check->add_option("file", o->file, "policy file")->required();
  check->add_flag("--json", o->json, "JSON output (errors as JSON too)");
  check->callback([o, &exit_code] {
    auto p = load_policy_file(o->file);
    if (!p) {
      exit_code = report_error(p.error(), o->json);
      return;
    }
    if (o->json) {
      print_json({{"valid", true}, {"file", o->file}, {"name", p->name}, {"policy", to_json(*p)}});
    } else {
      std::printf("# %s: valid. Effective policy:\n%s", o->file.c_str(), policy_to_toml(*p).c_str());
    }
    exit_code = 0;
  });
}

}  // namespace kavach::cli
