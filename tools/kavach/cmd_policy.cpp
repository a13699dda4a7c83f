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
    const StrengthScore s = requested_score(*backend, *policy);
    // A backend kavach cannot run has no score any run could reach: say so next to the number.
    auto impl = create_backend(*backend);
    const Maturity maturity = impl ? (*impl)->maturity() : Maturity::not_implemented;
    const std::string maturity_name(to_string(maturity));
    if (o->json) {
      nlohmann::json j = to_json(s);
      j["backend"] = std::string(to_string(*backend));
      j["maturity"] = maturity_name;
      std::printf("%s\n", dump_json(j).c_str());
    } else {
      std::printf("requested score %d/100 (%s) for backend %s, policy %s\n", s.value, s.label.c_str(),
                  std::string(to_string(*backend)).c_str(), policy->name.c_str());
      if (maturity == Maturity::config_only || maturity == Maturity::not_implemented) {
        std::printf("  backend %s is %s in kavach: no run can reach this score; it is the design "
                    "score of the backend, not a measurement\n",
                    std::string(to_string(*backend)).c_str(), maturity_name.c_str());
      }
      for (const auto& item : s.breakdown) std::printf("  %+4d  %s\n", item.points, item.label.c_str());
      std::printf("(the enforced score of a real run counts only controls the host applied)\n");
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
      nlohmann::json j = {{"valid", true}, {"name", p->name}, {"policy_toml", policy_to_toml(*p)}};
      std::printf("%s\n", dump_json(j).c_str());
    } else {
      std::printf("# %s: valid. Effective policy:\n%s", o->file.c_str(), policy_to_toml(*p).c_str());
    }
    exit_code = 0;
  });
}

}  // namespace kavach::cli
