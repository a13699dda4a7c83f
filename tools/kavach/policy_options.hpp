// The policy-shaping options shared by `run` and `score`.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "kavach/backend_kind.hpp"
#include "kavach/policy.hpp"

namespace kavach::cli {

struct PolicyOptions {
  std::string backend = "process";
  std::string preset;  // "" = not given: agent, or what the --policy file `extends`
  std::string policy_file;
  // Numeric flags as written: parse_numeric_flag checks them (CLI11 would wrap "-5").
  std::optional<std::string> timeout_ms;
  std::optional<std::string> memory_mb;
  std::optional<std::string> disk_mb;
  std::optional<std::string> pids;
  std::optional<std::string> output_limit;  // SIZE per stream: limits.output_bytes
  std::string network;  // "", off, loopback, allowlist, host
  std::vector<std::string> allow;  // --allow entries (network allowlist)
  std::vector<std::string> rw;
  std::vector<std::string> ro;
  std::string cwd;  // fs.workdir; else the policy's, else the first --rw
  std::vector<std::string> env;  // NAME (the host's value passes) or NAME=VALUE (set in the sandbox)
  std::vector<std::string> may_degrade;  // control names
  std::string runtime;  // oci/gvisor: crun, runc, runsc (policy.oci.runtime)
  std::string rootfs;   // oci/gvisor: root filesystem directory (policy.oci.rootfs)
  std::string image;    // oci/gvisor: OCI image layout[:tag] (policy.oci.image)
};

inline constexpr const char* kDefaultPreset = "agent";

void add_policy_options(CLI::App* cmd, PolicyOptions& o);

// Preset or policy file, then the flags on top; validated (contradictions included: --preset
// with --policy, --rw against the file's fs.workdir, a --cwd the sandbox cannot see).
[[nodiscard]] Result<ValidPolicy> resolve_policy(const PolicyOptions& o);
[[nodiscard]] Result<BackendKind> resolve_backend(const PolicyOptions& o);
// The --env NAME=VALUE entries: variables set in the command's environment.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> command_env(const PolicyOptions& o);

}  // namespace kavach::cli
