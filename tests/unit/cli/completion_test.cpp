// Shell completions generated from the CLI definition (issue 13): every subcommand and option of
// the parser is in every script; `kavach completion` prints them. tests/cli/completion_test.sh
// runs them in the shells.
#include <gtest/gtest.h>

#include "app.hpp"
#include "cli_walk.hpp"
#include "completion.hpp"
#include "run_kavach.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

std::vector<CommandInfo> the_cli() {
  static CLI::App app;
  static int exit_code = 0;
  static bool registered = false;
  if (!registered) {
    register_all(app, exit_code);
    registered = true;
  }
  return describe_cli(app);
}

TEST(CliCompletion, TheWalkSeesTheWholeParser) {
  const auto cli = the_cli();
  std::vector<std::string> paths;
  for (const auto& c : cli) paths.push_back(c.path);
  for (const char* p : {"", "run", "backends", "doctor", "score", "policy", "policy check", "scan", "audit",
                        "audit verify", "gc", "verify", "completion", "help"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), p), paths.end()) << "missing '" << p << "'";
  }
  const auto run = std::find_if(cli.begin(), cli.end(), [](const CommandInfo& c) { return c.path == "run"; });
  ASSERT_NE(run, cli.end());
  auto option = [&](const std::string& name) {
    return std::find_if(run->options.begin(), run->options.end(), [&](const OptionInfo& o) {
      return std::find(o.names.begin(), o.names.end(), name) != o.names.end();
    });
  };
  ASSERT_NE(option("--network"), run->options.end());
  EXPECT_EQ(option("--network")->choices, (std::vector<std::string>{"off", "loopback", "allowlist", "host"}));
  EXPECT_EQ(option("--backend")->choices.front(), "process");
  EXPECT_EQ(option("--preset")->choices, (std::vector<std::string>{"minimal", "basic", "strict", "agent"}));
  EXPECT_FALSE(option("--may-degrade")->choices.empty());
  EXPECT_TRUE(option("--rw")->takes_value);
  EXPECT_TRUE(option("--rw")->repeatable);
  EXPECT_FALSE(option("--json")->takes_value);
  ASSERT_EQ(run->positionals.size(), 1u);
  EXPECT_TRUE(run->positionals[0].is_command);
}

TEST(CliCompletion, EveryScriptNamesEverySubcommandAndOption) {
  const auto cli = the_cli();
  for (std::string_view shell : kCompletionShells) {
    auto script = completion_script(cli, shell);
    ASSERT_TRUE(script) << shell;
    for (const auto& c : cli) {
      for (const auto& sub : c.subcommands) EXPECT_NE(script->find(sub), std::string::npos) << shell << ": " << sub;
      for (const auto& o : c.options) {
        for (const auto& n : o.names) {
          // fish spells them -s q / -l quiet.
          const std::string fish = n.size() == 2 ? "-s " + n.substr(1) : "-l " + n.substr(2);
          EXPECT_NE(script->find(shell == "fish" ? fish : n), std::string::npos) << shell << ": " << c.path << " " << n;
        }
      }
    }
  }
}

TEST(CliCompletion, SubcommandPrintsTheScript) {
  const KavachRun bash = run_kavach({"completion", "bash"});
  EXPECT_EQ(bash.status, 0);
  EXPECT_NE(bash.out.find("complete -F _kavach kavach"), std::string::npos);
  EXPECT_EQ(run_kavach({"completion", "zsh"}).out.rfind("#compdef kavach\n", 0), 0u);
  EXPECT_NE(run_kavach({"completion", "fish"}).out.find("complete -c kavach"), std::string::npos);
  const KavachRun bad = run_kavach({"completion", "tcsh"});
  EXPECT_EQ(bad.status, cli_exit_code(ErrorCode::invalid_argument));
  EXPECT_EQ(bad.err.rfind("kavach: error [invalid_argument]", 0), 0u) << bad.err;
  EXPECT_FALSE(completion_script(the_cli(), "tcsh"));
}

}  // namespace
}  // namespace kavach::cli
