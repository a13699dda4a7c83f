#include "cli_walk.hpp"

#include "kavach/backend_kind.hpp"
#include "kavach/enforcement.hpp"
#include "kavach/policy.hpp"

namespace kavach::cli {
namespace {

std::vector<std::string> split_set(const std::string& inner) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= inner.size()) {
    const auto comma = inner.find(',', start);
    std::string item = inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// An option's closed set of values: the library's names for the flags whose values kavach (not
// CLI11) checks, else the {a,b} an IsMember check adds to the type name.
std::vector<std::string> choices_of(const CLI::Option& opt) {
  std::vector<std::string> out;
  if (opt.check_name("--backend")) {
    for (BackendKind k : kAllBackends) out.emplace_back(to_string(k));
    return out;
  }
  if (opt.check_name("--preset")) {
    for (Preset p : {Preset::minimal, Preset::basic, Preset::strict, Preset::agent}) out.emplace_back(to_string(p));
    return out;
  }
  if (opt.check_name("--network")) {
    for (NetworkMode m : kAllNetworkModes) out.emplace_back(to_string(m));
    return out;
  }
  if (opt.check_name("--may-degrade")) {
    for (Control c : kAllControls) out.emplace_back(to_string(c));
    return out;
  }
  const std::string type = opt.get_type_name();
  const auto open = type.find('{');
  const auto close = type.rfind('}');
  if (open != std::string::npos && close != std::string::npos && close > open) {
    out = split_set(type.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string value_name(const CLI::Option& opt) {
  const std::string type = opt.get_type_name();
  return type.substr(0, type.find(':'));
}

void walk(const CLI::App& app, const std::string& path, std::vector<CommandInfo>& out) {
  CommandInfo info;
  info.path = path;
  info.help = app.get_description();
  info.footer = app.get_footer();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() && !opt->nonpositional()) {
      PositionalInfo p;
      p.name = opt->get_name();
      p.help = opt->get_description();
      p.choices = choices_of(*opt);
      p.required = opt->get_required();
      p.is_command = path == "run" && p.name == "command";
      info.positionals.push_back(std::move(p));
      continue;
    }
    OptionInfo o;
    for (const auto& s : opt->get_snames()) o.names.push_back("-" + s);
    for (const auto& l : opt->get_lnames()) o.names.push_back("--" + l);
    o.takes_value = opt->get_expected_max() > 0;
    o.value_name = o.takes_value ? value_name(*opt) : "";
    o.choices = o.takes_value ? choices_of(*opt) : std::vector<std::string>{};
    o.repeatable = o.takes_value && opt->get_items_expected_max() > 1;
    o.help = opt->get_description();
    info.options.push_back(std::move(o));
  }
  std::vector<const CLI::App*> subs = app.get_subcommands({});
  for (const CLI::App* sub : subs) {
    info.subcommands.push_back(sub->get_name());
    info.subcommand_help.emplace_back(sub->get_name(), sub->get_description());
  }
  out.push_back(std::move(info));
  for (const CLI::App* sub : subs) walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

}  // namespace

std::vector<CommandInfo> describe_cli(const CLI::App& app) {
  std::vector<CommandInfo> out;
  walk(app, "", out);
  return out;
}

}  // namespace kavach::cli
