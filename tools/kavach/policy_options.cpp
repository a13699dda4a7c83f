#include "policy_options.hpp"

#include <filesystem>

namespace kavach::cli {

void add_policy_options(CLI::App* cmd, PolicyOptions& o) {
  cmd->add_option("--backend", o.backend, "isolation backend (process, oci, gvisor, noop, ...)")
      ->capture_default_str();
  cmd->add_option("--preset", o.preset, "policy preset: minimal, basic, strict, agent")
      ->capture_default_str();
  cmd->add_option("--policy", o.policy_file, "TOML policy file (may `extends` a preset); overrides --preset");
  cmd->add_option("--timeout-ms", o.timeout_ms, "wall-clock timeout; the whole tree is killed");
  cmd->add_option("--memory-mb", o.memory_mb, "memory limit (cgroup) in MiB");
  cmd->add_option("--disk-mb", o.disk_mb,
                  "MiB the run may add to host disk through its --rw paths (project quota; root, a filesystem "
                  "with project quotas)");
  cmd->add_option("--pids", o.pids, "maximum number of processes/threads (cgroup)");
  cmd->add_option("--network", o.network, "network: off or loopback")
      ->check(CLI::IsMember({"off", "loopback"}));
  cmd->add_option("--rw", o.rw, "host directory mounted writable (repeatable; the first is the cwd)")
      ->allow_extra_args(false);
  cmd->add_option("--ro", o.ro, "host path mounted read-only (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--env", o.env, "host environment variable passed through by name (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--runtime", o.runtime, "oci/gvisor backends: OCI runtime (crun, runc, runsc; default automatic)")
      ->check(CLI::IsMember({"crun", "runc", "runsc"}));
  cmd->add_option("--rootfs", o.rootfs, "oci/gvisor backends: root filesystem directory (default: read-only host view)");
  cmd->add_option("--image", o.image, "oci/gvisor backends: OCI image layout on disk, PATH[:TAG] (unpacked with umoci; no pulls)");
}

namespace {

Result<std::filesystem::path> absolute_existing(const std::string& raw, const char* flag) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(raw, ec).lexically_normal();
  if (ec || !std::filesystem::exists(p, ec)) {
    return fail(ErrorCode::path_not_found, std::string(flag) + " " + raw + ": path does not exist",
                {{"path", raw}, {"flag", flag}});
  }
  // Resolve symlinks so the mount and the Landlock rule name the same inode.
  auto canonical = std::filesystem::canonical(p, ec);
  if (ec) return fail(ErrorCode::path_not_found, std::string(flag) + " " + raw + ": " + ec.message());
  return canonical;
}

}  // namespace

Result<BackendKind> resolve_backend(const PolicyOptions& o) { return parse_backend(o.backend); }

Result<SandboxPolicy> resolve_policy(const PolicyOptions& o) {
  SandboxPolicy p;
  if (!o.policy_file.empty()) {
    auto loaded = load_policy_file(o.policy_file);
    if (!loaded) return loaded;
    p = std::move(*loaded);
  } else {
    auto preset = parse_preset(o.preset);
    if (!preset) return tl::unexpected(preset.error());
    p = preset_policy(*preset);
  }
  if (o.timeout_ms) {
    if (*o.timeout_ms <= 0) return fail(ErrorCode::invalid_argument, "--timeout-ms must be positive");
    p.limits.wall_timeout = std::chrono::milliseconds(*o.timeout_ms);
  }
  if (o.memory_mb) {
    if (*o.memory_mb < 4) return fail(ErrorCode::invalid_argument, "--memory-mb must be at least 4");
    p.limits.memory_bytes = *o.memory_mb << 20;
  }
  if (o.disk_mb) {
    if (*o.disk_mb < 1) return fail(ErrorCode::invalid_argument, "--disk-mb must be at least 1");
    if (*o.disk_mb >= (1ull << 43)) return fail(ErrorCode::invalid_argument, "--disk-mb is too large");
    p.limits.disk_bytes = *o.disk_mb << 20;
  }
  if (o.pids) {
    if (*o.pids == 0) return fail(ErrorCode::invalid_argument, "--pids must be at least 1");
    p.limits.pids = *o.pids;
  }
  if (o.network == "off") p.network.mode = NetworkMode::off;
  if (o.network == "loopback") p.network.mode = NetworkMode::loopback;
  for (const auto& raw : o.rw) {
    auto path = absolute_existing(raw, "--rw");
    if (!path) return tl::unexpected(path.error());
    if (!std::filesystem::is_directory(*path)) {
      return fail(ErrorCode::invalid_argument, "--rw " + raw + ": not a directory", {{"path", raw}});
    }
    p.fs.writable_paths.push_back(*path);
    if (p.fs.workdir.empty()) p.fs.workdir = *path;
  }
  for (const auto& raw : o.ro) {
    auto path = absolute_existing(raw, "--ro");
    if (!path) return tl::unexpected(path.error());
    p.fs.readonly_paths.push_back(*path);
  }
  if (!o.runtime.empty()) p.oci.runtime = o.runtime;
  if (!o.rootfs.empty()) {
    std::error_code ec;
    p.oci.rootfs = std::filesystem::absolute(o.rootfs, ec).lexically_normal();
  }
  if (!o.image.empty()) {
    std::string path = o.image;
    // PATH[:TAG]: a colon after the last slash separates the tag.
    const auto colon = path.rfind(':');
    const auto slash = path.rfind('/');
    if (colon != std::string::npos && colon > 0 && (slash == std::string::npos || colon > slash)) {
      p.oci.image_tag = path.substr(colon + 1);
      path.resize(colon);
    }
    std::error_code ec;
    p.oci.image = std::filesystem::absolute(path, ec).lexically_normal();
  }
  for (const auto& name : o.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "--env takes a variable NAME, got '" + name + "'");
    }
    p.env_allow.push_back(name);
  }
  if (auto v = validate_policy(p); !v) return tl::unexpected(v.error());
  return p;
}

}  // namespace kavach::cli
