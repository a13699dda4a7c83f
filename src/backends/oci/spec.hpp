// OCI runtime-spec config.json from kavach's policy. Pure data in, JSON out (unit-tested
// against the runtime-spec's required fields); the run-time work (rootfs, idmapped mounts,
// mask_points) happens elsewhere and arrives here as paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci {

inline constexpr const char* kOciVersion = "1.0.2";
// Host ids the container's ids map onto when kavach runs as root: container id N is host id
// kHostIdBase + N (never host root). The same base as the process backend's sandbox user.
inline constexpr std::uint32_t kHostIdBase = 0x70000000;
inline constexpr std::uint32_t kIdRange = 65536;

struct OciMount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
  friend bool operator==(const OciMount&, const OciMount&) = default;
};

struct IdMapping {
  std::uint32_t container_id = 0;
  std::uint32_t host_id = kHostIdBase;
  std::uint32_t size = kIdRange;
};

struct SpecInput {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "NAME=value"
  std::string cwd = "/";
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string hostname = "kavach";
  std::string root_path = "rootfs";  // bundle-relative or absolute
  bool readonly_root = true;
  std::vector<OciMount> mounts;      // in mount order
  std::vector<std::string> masked_paths;    // MountPlan::masked_paths
  std::vector<std::string> readonly_paths;  // MountPlan::readonly_paths
  std::optional<IdMapping> id_mapping;  // set: a user namespace with this uid and gid mapping
  bool network_namespace = true;
  std::string network_namespace_path;  // join this one instead of a new one (allowlist)
  std::string cgroups_path;
  nlohmann::json resources = nlohmann::json::object();  // linux.resources
  nlohmann::json seccomp;                                // linux.seccomp; null = none
  std::vector<std::string> capabilities;                 // kept in all five sets (usually none)
  nlohmann::json rlimits = nlohmann::json::array();
  std::map<std::string, std::string> annotations;
};

[[nodiscard]] nlohmann::json build_spec(const SpecInput& in);

// The runtime-spec's required fields and types (config-schema.json, config-linux.json):
// ociVersion, root.path, process.{args,cwd,user.uid,user.gid}, mounts[].destination,
// linux.namespaces[].type from the known set, id mappings with all three fields, seccomp
// defaultAction and per-syscall names/action, rlimits type/soft/hard. Error names the field.
[[nodiscard]] Result<void> check_spec(const nlohmann::json& spec);

// Policy pieces, translated. Capabilities: names validated ("CAP_" + a Linux capability).
[[nodiscard]] Result<std::vector<std::string>> capability_set(const std::vector<std::string>& keep);
// RLIMIT_CORE 0 always, and nofile / fsize / as / cpu / nproc where the policy sets them.
[[nodiscard]] nlohmann::json rlimits_json(const ResourceLimits& limits);
// memory (+swap as memory+swap), cpu quota/period, pids. `extra_pids` is added to the pids
// limit (gVisor: the sentry's own threads live in the same cgroup).
[[nodiscard]] nlohmann::json resources_json(const ResourceLimits& limits, std::uint64_t extra_pids = 0);
// The environment (core/sandbox_environment.hpp) as process.env; the runtime resolves argv[0]
// through its PATH.
[[nodiscard]] Result<std::vector<std::string>> container_env(const SandboxPolicy& policy,
                                                             const std::vector<std::pair<std::string, std::string>>& cmd_env);

}  // namespace kavach::oci
