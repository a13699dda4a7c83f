// `kavach run` parsing: repeatable options take one value each, so the words after `--` stay
// the command's (a `--no-gate` there must not switch the gate off); and no multi-value option
// of any subcommand swallows the following words.
#include <gtest/gtest.h>

#include <functional>

#include "app.hpp"
#include "run_options.hpp"
#include "parse_words.hpp"

namespace kavach::cli {
namespace {

// Parses `kavach run ARGS`; the parse error message, or empty.
std::string parse_run(const std::vector<std::string>& args, RunOptions& o) {
  CLI::App app;
  add_run_options(&app, o);
  try {
    parse_words(app, args);
  } catch (const CLI::ParseError& e) {
    return std::string(e.what()) + " ";
  }
  return {};
}

using Words = std::vector<std::string>;

TEST(CliRunOptions, WordsAfterDashDashStayTheCommand) {
  RunOptions o;
  ASSERT_EQ(parse_run({"--secret", "T=env:HOSTTOK", "--inject", "T=env:TOK", "--", "sh", "-c", "echo $TOK"}, o), "");
  EXPECT_EQ(o.secrets, Words{"T=env:HOSTTOK"});
  EXPECT_EQ(o.injects, Words{"T=env:TOK"});
  EXPECT_EQ(o.command, (Words{"sh", "-c", "echo $TOK"}));
}

TEST(CliRunOptions, FlagsAfterDashDashAreTheCommandsArguments) {
  RunOptions o;
  ASSERT_EQ(parse_run({"--secret", "T=env:HOSTTOK", "--inject", "T=env:TOK", "--", "printenv", "TOK", "--no-gate",
                       "--json"},
                      o),
            "");
  EXPECT_FALSE(o.no_gate) << "a --no-gate after -- switched the gate off";
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.injects, Words{"T=env:TOK"});
  EXPECT_EQ(o.command, (Words{"printenv", "TOK", "--no-gate", "--json"}));
}

TEST(CliRunOptions, RepeatedOptionsCollectOneValueEach) {
  RunOptions o;
  ASSERT_EQ(parse_run({"--secret", "A=env:X", "--secret", "B=cmd:pass show b", "--inject", "A=stdin", "--inject",
                       "B=file:/run/b", "--env", "HOME", "--ro", "/usr", "--", "cat"},
                      o),
            "");
  EXPECT_EQ(o.secrets, (Words{"A=env:X", "B=cmd:pass show b"}));
  EXPECT_EQ(o.injects, (Words{"A=stdin", "B=file:/run/b"}));
  EXPECT_EQ(o.policy.env, Words{"HOME"});
  EXPECT_EQ(o.policy.ro, Words{"/usr"});
  EXPECT_EQ(o.command, Words{"cat"});
}

TEST(CliRunOptions, SecondValueWithoutTheOptionIsTheCommand) {
  // Without `--`, the word after an --inject value starts the command (it is not a 2nd value).
  RunOptions o;
  ASSERT_EQ(parse_run({"--inject", "T=env:TOK", "printenv", "TOK"}, o), "");
  EXPECT_EQ(o.injects, Words{"T=env:TOK"});
  EXPECT_EQ(o.command, (Words{"printenv", "TOK"}));
}

// Every option of every subcommand that can hold several values takes one per use (or is
// positional): a vector option with extra args allowed would swallow what follows it.
TEST(CliAllOptions, NoMultiValueOptionSwallowsFollowingWords) {
  CLI::App app;
  int exit_code = 0;
  register_all(app, exit_code);
  std::vector<std::string> greedy;
  std::size_t multi = 0;
  std::function<void(const CLI::App*, const std::string&)> walk = [&](const CLI::App* a, const std::string& path) {
    for (const CLI::Option* opt : a->get_options()) {
      if (!opt->nonpositional() || opt->get_items_expected_max() <= 1) continue;
      ++multi;
      if (opt->get_allow_extra_args()) greedy.push_back(path + " " + opt->get_name());
    }
    for (const CLI::App* sub : a->get_subcommands({})) walk(sub, path + " " + sub->get_name());
  };
  walk(&app, "kavach");
  EXPECT_GE(multi, 6u) << "expected at least --secret, --inject, --env, --ro, --rw, --secret-env, --only";
  EXPECT_EQ(greedy, std::vector<std::string>{}) << "these options take the following words as values";
}

}  // namespace
}  // namespace kavach::cli
