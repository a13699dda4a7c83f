// kavach: run untrusted code in real isolation, and say how strongly it was contained.
#include <CLI/CLI.hpp>

#include "app.hpp"
#include "kavach/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kavach: run untrusted code inside real isolation and score how strongly it was contained"};
  int exit_code = 0;
  kavach::cli::register_all(app, exit_code);
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
