#include <CLI/CLI.hpp>

#include "cmd_scan.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kavach: sandbox execution framework"};
  app.require_subcommand(1);
  int exit_code = 0;
  kavach::cli::register_scan(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
