#include "parse_hints.hpp"

#include <algorithm>

#include "cli_common.hpp"

namespace kavach::cli {
namespace {

std::string shell_word(const std::string& w) {
  if (!w.empty() && w.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@%+") ==
                        std::string::npos) {
    return w;
  }
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `kavach run ARGS` without `--`: the same words with `--` before the first one that is neither
// an option of `run` nor an option's value.
std::string with_dash_dash(const CLI::App& run, const std::vector<std::string>& args, std::size_t run_at) {
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(run_at) + 1);
  std::size_t i = run_at + 1;
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    const std::string& w = args[i];
    const std::string name = w.substr(0, w.find('='));
    const CLI::Option* opt = run.get_option_no_throw(name);
    if (opt == nullptr) break;  // not run's: the command's own option
    out.push_back(w);
    ++i;
    if (opt->get_expected_max() > 0 && w.find('=') == std::string::npos && i < args.size()) out.push_back(args[i++]);
  }
  out.emplace_back("--");
  out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return "kavach " + shell_words(out);
}

std::string subcommand_list(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands({})) names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

}  // namespace

std::string shell_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shell_word(w);
  return out;
}

bool wants_json(const std::vector<std::string>& args) {
  const auto end = std::find(args.begin(), args.end(), "--");
  return std::find(args.begin(), end, "--json") != end;
}

Error parse_error(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  // CLI11 names some errors after the app that threw them: the class says what happened.
  const bool extras = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr;
  const bool required = dynamic_cast<const CLI::RequiredError*>(&e) != nullptr;
  Error err = make_error(ErrorCode::invalid_argument, e.what());
  // The subcommand the words name (the first word that is one).
  const CLI::App* sub = nullptr;
  std::size_t sub_at = 0;
  for (; sub_at < args.size(); ++sub_at) {
    if (args[sub_at] == "--") break;
    for (const CLI::App* s : app.get_subcommands({})) {
      if (s->get_name() == args[sub_at]) sub = s;
    }
    if (sub != nullptr) break;
  }
  const bool dash_dash = std::find(args.begin(), args.end(), "--") != args.end();
  if (sub == nullptr) {
    return with_hint(std::move(err), "subcommands: " + subcommand_list(app) +
                                         "; kavach SUBCOMMAND --help for one, kavach help exit-codes for the "
                                         "exit statuses");
  }
  err.context["subcommand"] = sub->get_name();
  if (sub->get_name() == "run" && !dash_dash && extras) {
    return with_hint(std::move(err), "the command's own options need `--` before the command: "
                                     "kavach run [options] -- CMD ARGS\ne.g. " + with_dash_dash(*sub, args, sub_at));
  }
  if (sub->get_name() == "run" && required) {
    return with_hint(std::move(err), "give the command after `--`: kavach run [options] -- CMD ARGS");
  }
  return with_hint(std::move(err), "kavach " + sub->get_name() + " --help lists its options");
}

}  // namespace kavach::cli
