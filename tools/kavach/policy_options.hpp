// The policy-shaping options shared by `run`, `score` and `verify`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kavach/backend_kind.hpp"
#include "kavach/policy.hpp"

namespace kavach::cli {

struct PolicyOptions {
  std::string backend = "process";
  std::string preset = "agent";
  std::string policy_file;
  // Numeric flags as written: parse_numeric_flag checks them (CLI11 would wrap "-5").
  std::optional<std::string> timeout_ms;
  std::optional<std::string> memory_mb;
  std::optional<std::string> disk_mb;
  std::optional<std::string> pids;
  std::string network;  // "", off, loopback
  std::vector<std::string> rw;
  std::vector<std::string> ro;
  std::vector<std::string> env;
  std::string runtime;  // oci/gvisor: crun, runc, runsc (policy.oci.runtime)
  std::string rootfs;   // oci/gvisor: root filesystem directory (policy.oci.rootfs)
  std::string image;    // oci/gvisor: OCI image layout[:tag] (policy.oci.image)
};

void add_policy_options(CLI::App* cmd, PolicyOptions& o);

// Preset or policy file, then the flags on top; validated. The first --rw is the working dir.
[[nodiscard]] Result<SandboxPolicy> resolve_policy(const PolicyOptions& o);
[[nodiscard]] Result<BackendKind> resolve_backend(const PolicyOptions& o);

}  // namespace kavach::cli
