// kavach backends / doctor: what exists, what runs here, and why not.
#include <cstdio>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/score.hpp"

namespace kavach::cli {

void register_backends(CLI::App& app, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("backends", "list every backend: maturity, availability, base score");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([json, &exit_code] {
    nlohmann::json out = nlohmann::json::array();
    if (!*json) std::printf("%-12s %-16s %-10s %-5s %s\n", "BACKEND", "MATURITY", "AVAILABLE", "BASE", "DETAIL");
    for (BackendKind k : kAllBackends) {
      auto b = create_backend(k);
      if (!b) {
        exit_code = report_error(b.error(), *json);
        return;
      }
      const Availability a = (*b)->availability();
      const std::string maturity(to_string((*b)->maturity()));
      if (*json) {
        out.push_back({{"backend", std::string(to_string(k))}, {"maturity", maturity},
                       {"available", a.available}, {"detail", a.reason}, {"base_score", base_score(k)}});
      } else {
        std::printf("%-12s %-16s %-10s %-5d %s\n", std::string(to_string(k)).c_str(), maturity.c_str(),
                    a.available ? "yes" : "no", base_score(k), a.reason.c_str());
      }
    }
    if (*json) print_json({{"backends", std::move(out)}});
    exit_code = 0;
  });
}

void register_doctor(CLI::App& app, int& exit_code) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("doctor", "probe this host: kernel features, cgroups, runtimes");
  cmd->add_flag("--json", *json, "JSON output");
  cmd->callback([json, &exit_code] {
    const HostInfo h = probe_host();
    if (*json) {
      print_json(to_json(h));
      exit_code = 0;
      return;
    }
    auto yn = [](bool b) { return b ? "yes" : "no"; };
    std::printf("kernel            %s\n", h.kernel_release.c_str());
    std::printf("running as root   %s\n", yn(h.is_root));
    std::printf("landlock ABI      %d%s\n", h.landlock_abi, h.landlock_abi == 0 ? " (absent)" : "");
    std::printf("seccomp filters   %s\n", yn(h.seccomp_available));
    std::printf("user namespaces   %s%s%s\n", yn(h.user_namespaces), h.userns_reason.empty() ? "" : " — ",
                h.userns_reason.c_str());
    std::printf("cgroups           %s", std::string(to_string(h.cgroups.layout)).c_str());
    if (!h.cgroups.v2_mount.empty()) std::printf(" (v2 at %s)", h.cgroups.v2_mount.c_str());
    std::printf("\n");
    for (const char* c : {"memory", "pids", "cpu"}) {
      auto it = h.cgroups.limit_controllers.find(c);
      std::printf("  %-6s limits   %s\n", c, it == h.cgroups.limit_controllers.end() ? "unavailable" : it->second.c_str());
    }
    std::printf("  clone-into-cgroup %s, cgroup.kill %s\n", yn(h.cgroups.clone_into_cgroup), yn(h.cgroups.cgroup_kill));
    // The container backends name the runtime they will use, and why not another (crun refuses
    // hybrid layouts whose unified tree offers controllers).
    for (BackendKind k : {BackendKind::oci, BackendKind::gvisor}) {
      auto b = create_backend(k, h);
      if (!b) continue;
      const Availability a = (*b)->availability();
      std::printf("%-17s %s%s\n", (std::string(to_string(k)) + " backend").c_str(), a.available ? "" : "unavailable: ",
                  a.reason.c_str());
    }
    std::printf("kvm               %s\n", yn(h.kvm_usable));
    std::printf("sgx / sev / tdx   %s / %s / %s\n", yn(h.sgx_device), yn(h.sev_device), yn(h.tdx_device));
    std::printf("runtimes:\n");
    for (const auto& [name, path] : h.runtimes) std::printf("  %-20s %s\n", name.c_str(), path.c_str());
    exit_code = 0;
  });
}

}  // namespace kavach::cli
