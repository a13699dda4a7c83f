// Negative controls: every probe is run once more with its control switched off (controls.hpp)
// and must then report FAIL — proof that the probe can see the hole it guards.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "canaries.hpp"
#include "kavach/policy.hpp"
#include "results.hpp"
#include "runner.hpp"

namespace kavach::probes {

struct NegativeControl {
  std::string id;
  std::string weakening;
  std::string verdict;  // verdict under the weakened setup
  std::string detail;
  bool demonstrated = false;  // FAIL seen (or nothing to demonstrate: kernel lacks it / n.a.)
};

struct NegativeContext {
  Canaries* canaries = nullptr;
  std::string probe;  // host path of kavach-probe
  SandboxPolicy policy;  // policy of the positive run (probe mounts included)
  // Builds a runner for the backend under test with the given (weakened) policy.
  std::function<std::unique_ptr<Runner>(const SandboxPolicy&)> make_runner;
  std::vector<std::string> expectation_args;  // from the UNweakened policy: the promise
  std::uint64_t output_cap = 1u << 20;
};

[[nodiscard]] Result<std::vector<NegativeControl>> run_negative_controls(
    NegativeContext& ctx, const Results& positive, const std::vector<std::string>& ids);

}  // namespace kavach::probes
