#include "cmd_gc.hpp"

#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "kavach/gc.hpp"

namespace kavach::cli {

void register_gc(CLI::App& app, int& exit_code) {
  struct Options {
    bool json = false;
    bool dry_run = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "gc", "remove containers, bundles and cgroups left by container runs, and disk quotas left on host "
            "directories, whose kavach process is gone");
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_flag("-n,--dry-run", o->dry_run, "list what would be removed, change nothing");
  cmd->footer("Runs whose owning kavach process is still alive are never touched. Exit status 1 when something "
              "could not be removed.");
  cmd->callback([o, &exit_code] {
    auto rep = collect_garbage(o->dry_run);
    if (!rep) {
      exit_code = report_error(rep.error(), o->json);
      return;
    }
    if (o->json) {
      print_json(to_json(*rep));
    } else {
      for (const auto& e : rep->entries) {
        std::printf("%-9s %-60s %s%s%s\n", e.kind.c_str(), e.name.c_str(), e.action.c_str(),
                    e.detail.empty() ? "" : " — ", e.detail.c_str());
      }
      std::printf("%zu %s, %zu kept, %zu failed\n", rep->removed, o->dry_run ? "to remove" : "removed", rep->kept,
                  rep->failed);
    }
    exit_code = rep->failed == 0 ? 0 : 1;
  });
}

}  // namespace kavach::cli
