#include "app.hpp"

#include "cli_common.hpp"
#include "cmd_audit.hpp"
#include "cmd_gc.hpp"
#include "cmd_scan.hpp"
#include "cmd_verify.hpp"
#include "commands.hpp"
#include "daemon/cmd_daemon.hpp"
#include "daemon/cmd_session.hpp"
#include "parse_hints.hpp"
#include "version.hpp"

namespace kavach::cli {

void register_all(CLI::App& app, int& exit_code) {
  app.require_subcommand(1);
  // Wide enough that `--runtime NAME:{crun,runc,runsc}` keeps its description on its line;
  // subcommands share this formatter, so it is set before they are added.
  app.get_formatter()->column_width(36);
  app.set_version_flag("--version", [] { return version_text(); }, "print kavach's version (and libseccomp's, the kernel's)");
  // The exit-status table lives in one place: `kavach help exit-codes` (and kavach(1)).
  app.footer("Exit statuses: kavach help exit-codes. Per subcommand: kavach SUBCOMMAND --help.");
  register_run(app, exit_code);
  register_backends(app, exit_code);
  register_doctor(app, exit_code);
  register_score(app, exit_code);
  register_policy(app, exit_code);
  register_scan(app, exit_code);
  register_audit(app, exit_code);
  register_gc(app, exit_code);
  register_daemon(app, exit_code);
  register_session(app, exit_code);
  register_verify(app, exit_code);
  register_completion(app, exit_code);
  register_help(app, exit_code);  // last: its topics are the subcommands before it
}

int run_main(const std::vector<std::string>& args) {
  CLI::App app{"kavach: run untrusted code inside real isolation and score how strongly it was contained"};
  app.name("kavach");
  int exit_code = 0;
  register_all(app, exit_code);
  try {
    std::vector<std::string> words(args.rbegin(), args.rend());  // CLI11 pops from the back
    app.parse(words);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --help-all, --version
    return report_error(parse_error(app, e, args), wants_json(args));
  }
  return exit_code;
}

}  // namespace kavach::cli
