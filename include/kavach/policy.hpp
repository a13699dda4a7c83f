// SandboxPolicy: what a sandboxed command is allowed to do. Backend-neutral; each backend
// translates it (libseccomp for process, OCI JSON for oci/gvisor).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kavach/enforcement.hpp"
#include "kavach/error.hpp"

namespace kavach {

enum class SeccompMode {
  none,    // no filter
  basic,   // denylist of the dangerous set (see syscalls.hpp)
  strict,  // allowlist that runs ordinary programs; everything else EPERM/ENOSYS
  custom,  // allowlist = custom_allow (names validated against the kernel ABI)
};

struct SeccompPolicy {
  SeccompMode mode = SeccompMode::strict;
  std::vector<std::string> custom_allow;  // mode == custom: the allowlist
  std::vector<std::string> extra_allow;   // strict/basic: additionally allowed names
  std::vector<std::string> extra_deny;    // any mode: additionally denied names
  bool allow_memfd_exec = true;           // memfd_create permitted (C09 is policy-dependent)
  friend bool operator==(const SeccompPolicy&, const SeccompPolicy&) = default;
};

// Landlock access bits (a subset users write in policies; mapped to LANDLOCK_ACCESS_FS_*).
enum AccessBits : unsigned {
  kAccessRead = 1u << 0,
  kAccessWrite = 1u << 1,  // write files, create/remove/rename entries, truncate
  kAccessExec = 1u << 2,
};

struct PathRule {
  std::filesystem::path path;  // absolute
  unsigned access = kAccessRead;
  friend bool operator==(const PathRule&, const PathRule&) = default;
};

struct LandlockPolicy {
  bool enabled = true;
  // Path rules derived from the filesystem policy are added by the backend; these are extra ones.
  std::vector<PathRule> paths;
  bool restrict_tcp = true;               // ABI >= 4: deny TCP bind/connect except the lists below
  std::vector<std::uint16_t> tcp_bind;    // allowed bind ports
  std::vector<std::uint16_t> tcp_connect; // allowed connect ports
  bool scope_signals = true;              // ABI >= 6
  bool scope_abstract_unix = true;        // ABI >= 6
  int min_abi = 1;                        // fail closed below this ABI
  friend bool operator==(const LandlockPolicy&, const LandlockPolicy&) = default;
};

// off: no interfaces; loopback: `lo` only; allowlist: `lo` and kavach's egress proxy, which
// connects only to network.allow; host: the host's own network (explicit opt-in). See network.hpp.
enum class NetworkMode { off, loopback, allowlist, host };

// One network.allow entry (parse_allow_entry in network.hpp): a name, "*.suffix", an IP or a CIDR.
struct HostPort {
  std::string host;
  std::optional<std::uint16_t> port;  // none: ports 80 and 443
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

struct NetworkPolicy {
  NetworkMode mode = NetworkMode::off;
  std::vector<HostPort> allow;  // mode == allowlist: where the egress proxy may connect
  friend bool operator==(const NetworkPolicy&, const NetworkPolicy&) = default;
};

struct ResourceLimits {
  std::optional<std::uint64_t> memory_bytes;     // cgroup memory limit
  std::optional<std::uint64_t> swap_bytes;       // cgroup swap limit (memory+swap - memory)
  std::optional<double> cpu_cores;               // cgroup CPU quota in cores (0.5 = half a core)
  std::optional<std::uint64_t> pids;             // cgroup pids limit
  std::optional<std::uint64_t> open_files;       // RLIMIT_NOFILE
  std::optional<std::uint64_t> file_size_bytes;  // RLIMIT_FSIZE
  std::optional<std::uint64_t> address_space_bytes;  // RLIMIT_AS
  std::optional<std::uint64_t> cpu_time_seconds;     // RLIMIT_CPU
  std::optional<std::uint64_t> nproc;                // RLIMIT_NPROC
  // Bytes the run may add to host disk through its writable paths (a project quota).
  std::optional<std::uint64_t> disk_bytes;
  std::chrono::milliseconds wall_timeout{30'000};    // whole tree killed after this
  std::uint64_t output_bytes = 1u << 20;             // per stream capture cap
  std::uint64_t tmpfs_bytes = 64u << 20;             // size of the private /tmp and /dev/shm
  friend bool operator==(const ResourceLimits&, const ResourceLimits&) = default;
};

struct FilesystemPolicy {
  bool readonly_root = true;
  // Host paths visible read-only in the sandbox (system dirs by default).
  std::vector<std::filesystem::path> readonly_paths;
  // Host paths bind-mounted writable (nodev, nosuid).
  std::vector<std::filesystem::path> writable_paths;
  // Paths (possibly inside writable ones, possibly not existing yet) that stay read-only.
  // Relative entries are resolved against every writable path (e.g. ".git/hooks").
  std::vector<std::filesystem::path> protected_paths;
  std::filesystem::path workdir;  // cwd inside the sandbox; empty = "/"
  friend bool operator==(const FilesystemPolicy&, const FilesystemPolicy&) = default;
};

// Container backends (oci, gvisor): which runtime, which root filesystem. Ignored by others.
struct OciPolicy {
  // "" = automatic (oci: crun, else runc; gvisor: runsc). Or "crun", "runc", "runsc".
  std::string runtime;
  // When the requested runtime cannot run on this host (crun 1.8 on a hybrid cgroup layout),
  // use runc instead of failing. Automatic selection always picks a runtime that can run.
  bool allow_runtime_fallback = false;
  // Root filesystem: empty = a read-only view of the host's system directories (fs.readonly_paths).
  std::filesystem::path rootfs;  // a root filesystem directory on the host
  std::filesystem::path image;   // an OCI image layout on disk, unpacked with umoci (no pulls)
  std::string image_tag = "latest";
  // gVisor platform: "auto" (ptrace; KVM hung on the hosts we measured), "ptrace" or "kvm".
  std::string gvisor_platform = "auto";
  friend bool operator==(const OciPolicy&, const OciPolicy&) = default;
};

struct SandboxPolicy {
  std::string name = "custom";
  SeccompPolicy seccomp;
  LandlockPolicy landlock;
  NetworkPolicy network;
  ResourceLimits limits;
  FilesystemPolicy fs;
  OciPolicy oci;
  std::vector<std::string> env_allow;  // host variables passed through by name (default none)
  std::string hostname = "kavach";
  std::uint32_t uid = 0;  // uid inside the sandbox (always mapped to an unprivileged host id)
  std::uint32_t gid = 0;
  std::vector<std::string> keep_capabilities;  // names like "CAP_NET_BIND_SERVICE"; default none
  // Controls that may be skipped with a recorded reason when the host cannot apply them.
  // Everything else fails closed.
  std::set<Control> may_degrade;

  friend bool operator==(const SandboxPolicy&, const SandboxPolicy&) = default;
};

enum class Preset { minimal, basic, strict, agent };

[[nodiscard]] std::string_view to_string(Preset p);
[[nodiscard]] Result<Preset> parse_preset(std::string_view name);
[[nodiscard]] SandboxPolicy preset_policy(Preset p);

[[nodiscard]] std::string_view to_string(SeccompMode m);
[[nodiscard]] std::string_view to_string(NetworkMode m);
inline constexpr NetworkMode kAllNetworkModes[] = {NetworkMode::off, NetworkMode::loopback, NetworkMode::allowlist,
                                                   NetworkMode::host};
// "off", "loopback", "allowlist" or "host"; anything else is a policy_value error listing them.
[[nodiscard]] Result<NetworkMode> parse_network_mode(std::string_view name);

// Policy files (TOML). Errors name file:line and the key path.
[[nodiscard]] Result<SandboxPolicy> parse_policy_toml(std::string_view text,
                                                      std::string_view origin = "<string>");
[[nodiscard]] Result<SandboxPolicy> load_policy_file(const std::filesystem::path& file);
// The same keys as a JSON object ({"extends": "agent", "limits": {"memory": "1G"}}), read through
// the same key table and checks; errors name `origin` and the key.
[[nodiscard]] Result<SandboxPolicy> parse_policy_json(const nlohmann::json& policy,
                                                      std::string_view origin = "<json>");
// Semantic validation shared by files and the builder (absolute paths, syscall names, ranges).
[[nodiscard]] Result<void> validate_policy(const SandboxPolicy& p);

// A policy validate_policy accepted. ValidPolicy::check is the only way to one (besides the
// presets, valid by construction and tested so), so whoever holds one never checks again:
// backends take this type and do not re-validate.
class ValidPolicy {
 public:
  ValidPolicy();  // the default SandboxPolicy
  explicit ValidPolicy(Preset p);
  [[nodiscard]] static Result<ValidPolicy> check(SandboxPolicy p);
  // The same policy with another wall timeout: the one edit whose validity is its range alone.
  [[nodiscard]] Result<ValidPolicy> with_wall_timeout(std::chrono::milliseconds t) const;

  [[nodiscard]] const SandboxPolicy& get() const noexcept { return p_; }
  const SandboxPolicy* operator->() const noexcept { return &p_; }
  operator const SandboxPolicy&() const noexcept { return p_; }  // NOLINT(google-explicit-constructor): a read-only view

 private:
  struct Checked {};
  ValidPolicy(Checked, SandboxPolicy p) : p_(std::move(p)) {}
  SandboxPolicy p_;
};
// The working directory lies in a path the sandbox sees ("/", its own /tmp, a readonly or
// writable path); policy_conflict naming fs.workdir else. Policy files and the CLI check it;
// validate_policy does not (a backend reports an unreachable workdir as its `workdir` stage).
[[nodiscard]] Result<void> check_workdir_visible(const SandboxPolicy& p);
// True when the policy protects paths inside writable ones (fs.protected_paths and at least one
// writable path): then a run needs the protected-path guard (Control::protected_paths).
[[nodiscard]] bool guards_protected_paths(const SandboxPolicy& p);
// The effective policy as TOML that parse_policy_toml accepts again.
[[nodiscard]] std::string policy_to_toml(const SandboxPolicy& p);

}  // namespace kavach
