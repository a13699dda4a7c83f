// kavach help [SUBCOMMAND|exit-codes] and kavach completion bash|zsh|fish.
#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "cli_walk.hpp"
#include "commands.hpp"
#include "completion.hpp"

namespace kavach::cli {

void register_help(CLI::App& app, int& exit_code) {
  auto topic = std::make_shared<std::string>();
  std::vector<std::string> topics{"exit-codes"};
  for (const CLI::App* sub : app.get_subcommands({})) topics.push_back(sub->get_name());
  CLI::App* cmd = app.add_subcommand("help", "help on a subcommand, or a topic: exit-codes");
  cmd->add_option("topic", *topic, "a subcommand, or exit-codes")->check(CLI::IsMember(topics));
  // The formatter directly: App::help() would describe `help` itself while it runs.
  cmd->callback([&app, topic, &exit_code] {
    if (*topic == "exit-codes") {
      std::printf("%s", exit_code_help().c_str());
    } else if (topic->empty()) {
      std::printf("%s", app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal).c_str());
    } else {
      const CLI::App* sub = app.get_subcommand(*topic);
      std::printf("%s", sub->get_formatter()->make_help(sub, app.get_name() + " " + *topic, CLI::AppFormatMode::Normal)
                            .c_str());
    }
    exit_code = 0;
  });
}

void register_completion(CLI::App& app, int& exit_code) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("completion", "print the shell completion script: bash, zsh or fish");
  cmd->add_option("shell", *shell, "the shell")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->footer("bash: source <(kavach completion bash); zsh: kavach completion zsh > ~/.zfunc/_kavach (a dir on "
              "fpath); fish: kavach completion fish > ~/.config/fish/completions/kavach.fish. cmake --install "
              "puts all three where the shells look.");
  cmd->callback([&app, shell, &exit_code] {
    auto script = completion_script(describe_cli(app), *shell);
    if (!script) {
      exit_code = report_error(script.error(), false);
      return;
    }
    std::printf("%s", script->c_str());
    exit_code = 0;
  });
}

}  // namespace kavach::cli
