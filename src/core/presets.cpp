// The presets: the meaning of "minimal", "basic", "strict" and "agent", defined once.
#include <filesystem>
#include <string>

#include "kavach/policy.hpp"

#include "core/enum_parse.hpp"

namespace kavach {
namespace {

// System directories shown read-only; only those that exist on this host (merged-/usr
// systems have /bin as a symlink, some lack /lib64).
std::vector<std::filesystem::path> system_dirs() {
  std::vector<std::filesystem::path> out;
  for (const char* d : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"}) {
    std::error_code ec;
    if (std::filesystem::exists(d, ec)) out.emplace_back(d);
  }
  return out;
}

SandboxPolicy base_policy(std::string name) {
  SandboxPolicy p;
  p.name = std::move(name);
  p.fs.readonly_root = true;
  p.fs.readonly_paths = system_dirs();
  p.network.mode = NetworkMode::off;
  p.env_allow = {"PATH", "LANG", "LC_ALL", "TERM"};
  return p;
}

}  // namespace

std::string_view to_string(Preset p) {
  switch (p) {
    case Preset::minimal: return "minimal";
    case Preset::basic: return "basic";
    case Preset::strict: return "strict";
    case Preset::agent: return "agent";
  }
  return "strict";
}

Result<Preset> parse_preset(std::string_view name) {
  static constexpr Preset kAll[] = {Preset::minimal, Preset::basic, Preset::strict, Preset::agent};
  return parse_enum<Preset>(name, kAll, ErrorCode::unknown_preset, "preset", "presets", {{"preset", std::string(name)}});
}

std::string_view to_string(SeccompMode m) {
  switch (m) {
    case SeccompMode::none: return "none";
    case SeccompMode::basic: return "basic";
    case SeccompMode::strict: return "strict";
    case SeccompMode::custom: return "custom";
  }
  return "none";
}

Result<NetworkMode> parse_network_mode(std::string_view name) {
  return parse_enum<NetworkMode>(name, kAllNetworkModes, ErrorCode::policy_value, "network mode", "network modes",
                                 {{"key", "network.mode"}});
}

std::string_view to_string(NetworkMode m) {
  switch (m) {
    case NetworkMode::off: return "off";
    case NetworkMode::loopback: return "loopback";
    case NetworkMode::allowlist: return "allowlist";
    case NetworkMode::host: return "host";
  }
  return "off";
}

bool guards_protected_paths(const SandboxPolicy& p) {
  return !p.fs.protected_paths.empty() && !p.fs.writable_paths.empty();
}

SandboxPolicy preset_policy(Preset preset) {
  constexpr std::uint64_t MiB = 1u << 20;
  switch (preset) {
    case Preset::minimal: {
      // Namespaces, read-only system view, no network, capabilities dropped; no filters.
      SandboxPolicy p = base_policy("minimal");
      p.seccomp.mode = SeccompMode::none;
      p.landlock.enabled = false;
      p.limits.wall_timeout = std::chrono::milliseconds(60'000);
      return p;
    }
    case Preset::basic: {
      // Adds the dangerous-syscall denylist, Landlock and resource limits.
      SandboxPolicy p = base_policy("basic");
      p.seccomp.mode = SeccompMode::basic;
      p.landlock.enabled = true;
      p.landlock.restrict_tcp = true;
      p.limits.memory_bytes = 1024 * MiB;
      p.limits.pids = 512;
      p.limits.open_files = 1024;
      p.limits.wall_timeout = std::chrono::milliseconds(60'000);
      return p;
    }
    case Preset::strict: {
      // Allowlist seccomp, Landlock fs+net+scopes, tight limits, nothing writable but /tmp.
      SandboxPolicy p = base_policy("strict");
      p.seccomp.mode = SeccompMode::strict;
      p.seccomp.allow_memfd_exec = false;
      p.landlock.enabled = true;
      p.landlock.restrict_tcp = true;
      p.landlock.scope_signals = true;
      p.landlock.scope_abstract_unix = true;
      p.limits.memory_bytes = 512 * MiB;
      p.limits.swap_bytes = 0;
      p.limits.cpu_cores = 1.0;
      p.limits.pids = 128;
      p.limits.open_files = 256;
      p.limits.file_size_bytes = 64 * MiB;
      p.limits.cpu_time_seconds = 60;
      p.limits.wall_timeout = std::chrono::milliseconds(30'000);
      return p;
    }
    case Preset::agent: {
      // For AI coding agents: read-mostly filesystem, one writable work directory (given by the
      // caller, e.g. `--rw $PWD`), no network, and paths that would let code persist or
      // escalate beyond the run (git hooks, shell rc files, editor configs) stay read-only even
      // inside the work directory — also when they do not exist yet.
      SandboxPolicy p = base_policy("agent");
      p.seccomp.mode = SeccompMode::strict;
      p.seccomp.allow_memfd_exec = false;
      p.landlock.enabled = true;
      p.landlock.restrict_tcp = true;
      p.limits.memory_bytes = 2048 * MiB;
      p.limits.swap_bytes = 0;
      p.limits.cpu_cores = 2.0;
      p.limits.pids = 512;
      p.limits.open_files = 4096;
      p.limits.file_size_bytes = 1024 * MiB;
      p.limits.wall_timeout = std::chrono::milliseconds(600'000);
      p.limits.tmpfs_bytes = 512 * MiB;
      // The list and the reason for each entry: docs/policy.md ("Protected paths"). Relative
      // entries hold at every depth below a writable path; kavach-guard refuses creating or
      // changing them, nothing is created on the host for them.
      p.fs.protected_paths = {
          // what host-side git executes or where it reads configuration / objects from
          ".git/hooks", ".git/config", ".git/config.worktree", ".git/commondir", ".git/modules",
          ".git/worktrees", ".git/objects/info/alternates", ".gitmodules", ".gitattributes",
          // shells and direnv
          ".bashrc", ".bash_profile", ".bash_login", ".profile", ".zshrc", ".zprofile", ".zshenv",
          ".envrc",
          // editors and dev containers (tasks, settings and initializeCommand run on the host)
          ".vscode", ".idea", ".devcontainer",
          // credentials and package-manager configuration that runs code
          ".ssh", ".npmrc", ".pypirc", ".netrc", ".cargo/config.toml", ".cargo/config", ".yarnrc",
          ".yarnrc.yml", ".pnpmfile.cjs",
          // hooks run by git or CI on behalf of the repository
          ".husky", ".pre-commit-config.yaml", ".hg/hgrc", ".github/workflows", ".gitlab-ci.yml"};
      p.env_allow = {"PATH", "LANG", "LC_ALL", "TERM", "HOME"};
      return p;
    }
  }
  return base_policy("strict");
}

}  // namespace kavach
