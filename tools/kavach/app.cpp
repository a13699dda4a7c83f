#include "app.hpp"

#include "cli_common.hpp"
#include "cmd_audit.hpp"
#include "cmd_gc.hpp"
#include "cmd_scan.hpp"
#include "cmd_verify.hpp"
#include "commands.hpp"

namespace kavach::cli {

void register_all(CLI::App& app, int& exit_code) {
  app.require_subcommand(1);
  app.footer(exit_code_help());
  register_run(app, exit_code);
  register_backends(app, exit_code);
  register_doctor(app, exit_code);
  register_score(app, exit_code);
  register_policy(app, exit_code);
  register_scan(app, exit_code);
  register_audit(app, exit_code);
  register_gc(app, exit_code);
  register_verify(app, exit_code);
}

}  // namespace kavach::cli
