#include "policy_options.hpp"

#include <filesystem>

#include "numeric_flag.hpp"

namespace kavach::cli {

void add_policy_options(CLI::App* cmd, PolicyOptions& o) {
  cmd->add_option("--backend", o.backend, "isolation backend (process, oci, gvisor, noop, ...)")
      ->capture_default_str();
  cmd->add_option("--preset", o.preset, "policy preset: minimal, basic, strict, agent")
      ->capture_default_str();
  cmd->add_option("--policy", o.policy_file, "TOML policy file (may `extends` a preset); overrides --preset");
  cmd->add_option("--timeout-ms", o.timeout_ms,
                  "wall-clock timeout, " + describe_range(kTimeoutMsFlag.range) + "; the whole tree is killed")
      ->type_name("UINT");
  cmd->add_option("--memory-mb", o.memory_mb, "memory limit (cgroup), " + describe_range(kMemoryMbFlag.range))
      ->type_name("UINT");
  cmd->add_option("--disk-mb", o.disk_mb,
                  "MiB the run may add to host disk through its --rw paths (project quota; root, a filesystem "
                  "with project quotas), " + describe_range(kDiskMbFlag.range))
      ->type_name("UINT");
  cmd->add_option("--pids", o.pids,
                  "maximum number of processes/threads (cgroup), " + describe_range(kPidsFlag.range))
      ->type_name("UINT");
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
    auto ms = parse_numeric_flag(kTimeoutMsFlag, *o.timeout_ms);
    if (!ms) return tl::unexpected(ms.error());
    p.limits.wall_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
  }
  if (o.memory_mb) {
    auto bytes = parse_numeric_flag(kMemoryMbFlag, *o.memory_mb);
    if (!bytes) return tl::unexpected(bytes.error());
    p.limits.memory_bytes = *bytes;
  }
  if (o.disk_mb) {
    auto bytes = parse_numeric_flag(kDiskMbFlag, *o.disk_mb);
    if (!bytes) return tl::unexpected(bytes.error());
    p.limits.disk_bytes = *bytes;
  }
  if (o.pids) {
    auto pids = parse_numeric_flag(kPidsFlag, *o.pids);
    if (!pids) return tl::unexpected(pids.error());
    p.limits.pids = *pids;
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
