// kavach: run untrusted code in real isolation, and say how strongly it was contained.
#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "cmd_audit.hpp"
#include "cmd_gc.hpp"
#include "cmd_scan.hpp"
#include "cmd_verify.hpp"
#include "commands.hpp"
#include "kavach/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kavach: run untrusted code inside real isolation and score how strongly it was contained"};
  app.require_subcommand(1);
  app.footer(kavach::cli::exit_code_help());
  int exit_code = 0;
  kavach::cli::register_run(app, exit_code);
  kavach::cli::register_backends(app, exit_code);
  kavach::cli::register_doctor(app, exit_code);
  kavach::cli::register_score(app, exit_code);
  kavach::cli::register_policy(app, exit_code);
  kavach::cli::register_scan(app, exit_code);
  kavach::cli::register_audit(app, exit_code);
  kavach::cli::register_gc(app, exit_code);
  kavach::cli::register_verify(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);  // prints the message
    return kavach::cli_exit_code(kavach::ErrorCode::invalid_argument);
  }
  return exit_code;
}
