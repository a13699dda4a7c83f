// The suite: one probe run (all selected checks) plus the harness-side scenarios and
// observations, merged into one verdict per probe id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "canaries.hpp"
#include "results.hpp"
#include "runner.hpp"

namespace kavach::probes {

struct SuiteOptions {
  std::vector<std::string> selection{"all"};  // "all", group letters, probe ids
  std::vector<std::string> extra_args;        // policy-derived expectations (--rlimits=...)
  bool scenarios = true;                      // H09 parent death, pty (H03-H05), T04 statuses
  std::uint64_t output_cap = 1u << 20;        // the cap the runner enforces per stream (R09)
  std::chrono::milliseconds timeout{180'000};
  std::chrono::milliseconds parent_death_budget{2000};  // H09: tree gone within this
  // Negative controls of harness-side checks: copy outputs the naive way (follow links, block
  // on FIFOs), and a hook that runs after the main run, before the host is inspected.
  bool naive_copy_out = false;
  // The sandbox runs on a user-space kernel (gVisor): what the probe reads about host
  // identities (/proc/self/uid_map) is that kernel's emulation, not evidence about the host.
  bool emulated_kernel = false;
  std::function<void()> after_run;
};

struct SuiteRun {
  Results results;
  RunOutput main;            // the main probe run (for reports)
  std::vector<std::string> notes;
};

[[nodiscard]] bool selected(const std::vector<std::string>& selection, const std::string& id);

[[nodiscard]] Result<SuiteRun> run_suite(Runner& runner, Canaries& canaries, const SuiteOptions& opts);

}  // namespace kavach::probes
