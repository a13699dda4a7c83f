// What a policy promises, as kavach-probe expectations (--rlimits=..., --pids-max=...), and the
// policy a probe run needs on top of a preset (probe binary visible, work dir, protected path).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kavach/policy.hpp"

namespace kavach::probes {

// Expectation arguments derived from the policy alone.
[[nodiscard]] std::vector<std::string> expectation_args(const SandboxPolicy& policy);

// Capability bounding mask the policy keeps (names unknown to us are ignored).
[[nodiscard]] unsigned long long capability_mask(const std::vector<std::string>& names);

struct ProbeMounts {
  std::filesystem::path probe_dir;  // directory holding kavach-probe (read + exec)
  std::filesystem::path bin_dir;    // planted setuid / file-cap copies (read + exec)
  std::filesystem::path workdir;    // writable, cwd
  std::filesystem::path protected_dir;  // read-only inside workdir
};

// The preset's policy plus what the probe run needs to exist at all. Nothing here widens what
// the probes attack: the canaries stay outside.
[[nodiscard]] SandboxPolicy probe_policy(SandboxPolicy base, const ProbeMounts& m);

}  // namespace kavach::probes
