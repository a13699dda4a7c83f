// Semantic checks shared by policy files, the builder and the CLI.
#include <filesystem>
#include <string>

#include "kavach/policy.hpp"
#include "kavach/syscalls.hpp"

namespace kavach {
namespace {

Result<void> check_absolute(const std::filesystem::path& p, std::string_view key) {
  if (!p.is_absolute()) {
    return fail(ErrorCode::path_not_absolute,
                std::string(key) + ": path '" + p.string() + "' must be absolute",
                {{"key", std::string(key)}, {"path", p.string()}});
  }
  return {};
}

Result<void> check_existing(const std::filesystem::path& p, std::string_view key) {
  if (auto r = check_absolute(p, key); !r) return r;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) {
    return fail(ErrorCode::path_not_found,
                std::string(key) + ": path '" + p.string() + "' does not exist on this host",
                {{"key", std::string(key)}, {"path", p.string()}});
  }
  return {};
}

}  // namespace

Result<void> validate_policy(const SandboxPolicy& p) {
  if (p.seccomp.mode == SeccompMode::custom && p.seccomp.custom_allow.empty()) {
    return fail(ErrorCode::policy_value,
                "seccomp.custom_allow: mode 'custom' needs a non-empty allowlist",
                {{"key", "seccomp.custom_allow"}});
  }
  if (auto r = validate_syscall_names(p.seccomp.custom_allow, "seccomp.custom_allow"); !r) return r;
  if (auto r = validate_syscall_names(p.seccomp.extra_allow, "seccomp.extra_allow"); !r) return r;
  if (auto r = validate_syscall_names(p.seccomp.extra_deny, "seccomp.extra_deny"); !r) return r;
  // The program builder knows the combination rules (clone3 never allowable, allow/deny overlap,
  // custom lists without execve): surface them when the policy is loaded, not at run time.
  if (auto prog = build_seccomp_program(p.seccomp); !prog) return tl::unexpected(prog.error());

  for (const auto& d : p.fs.readonly_paths) {
    if (auto r = check_existing(d, "fs.readonly_paths"); !r) return r;
  }
  for (const auto& d : p.fs.writable_paths) {
    if (auto r = check_existing(d, "fs.writable_paths"); !r) return r;
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) {
      return fail(ErrorCode::policy_value,
                  "fs.writable_paths: '" + d.string() + "' is not a directory",
                  {{"key", "fs.writable_paths"}, {"path", d.string()}});
    }
  }
  for (const auto& d : p.fs.protected_paths) {
    if (d.empty()) {
      return fail(ErrorCode::policy_value, "fs.protected_paths: empty path",
                  {{"key", "fs.protected_paths"}});
    }
  }
  if (!p.fs.workdir.empty()) {
    if (auto r = check_absolute(p.fs.workdir, "fs.workdir"); !r) return r;
  }
  for (const auto& rule : p.landlock.paths) {
    if (auto r = check_existing(rule.path, "landlock.paths"); !r) return r;
    if (rule.access == 0 || (rule.access & ~7u) != 0) {
      return fail(ErrorCode::policy_value,
                  "landlock.paths: access for '" + rule.path.string() + "' must be read/write/exec",
                  {{"key", "landlock.paths"}});
    }
  }
  if (p.landlock.min_abi < 1 || p.landlock.min_abi > 64) {
    return fail(ErrorCode::policy_value, "landlock.min_abi must be between 1 and 64",
                {{"key", "landlock.min_abi"}});
  }
  if (p.network.mode == NetworkMode::allowlist && p.network.allow.empty()) {
    return fail(ErrorCode::policy_value, "network.allow: mode 'allowlist' needs host:port entries",
                {{"key", "network.allow"}});
  }
  const auto& l = p.limits;
  if (l.memory_bytes && *l.memory_bytes < (4u << 20)) {
    return fail(ErrorCode::policy_value, "limits.memory must be at least 4 MiB",
                {{"key", "limits.memory"}});
  }
  if (l.cpu_cores && (*l.cpu_cores <= 0.0 || *l.cpu_cores > 1024.0)) {
    return fail(ErrorCode::policy_value, "limits.cpu must be > 0 and <= 1024 cores",
                {{"key", "limits.cpu"}});
  }
  if (l.pids && *l.pids == 0) {
    return fail(ErrorCode::policy_value, "limits.pids must be at least 1", {{"key", "limits.pids"}});
  }
  if (l.wall_timeout.count() <= 0) {
    return fail(ErrorCode::policy_value, "limits.wall_timeout_ms must be positive",
                {{"key", "limits.wall_timeout_ms"}});
  }
  if (l.output_bytes == 0) {
    return fail(ErrorCode::policy_value, "limits.output_bytes must be positive",
                {{"key", "limits.output_bytes"}});
  }
  const OciPolicy& o = p.oci;
  if (!o.runtime.empty() && o.runtime != "crun" && o.runtime != "runc" && o.runtime != "runsc") {
    return fail(ErrorCode::policy_value,
                "oci.runtime: unknown runtime '" + o.runtime + "'; valid: crun, runc, runsc",
                {{"key", "oci.runtime"}});
  }
  if (o.gvisor_platform != "auto" && o.gvisor_platform != "ptrace" && o.gvisor_platform != "kvm") {
    return fail(ErrorCode::policy_value,
                "oci.gvisor_platform: unknown platform '" + o.gvisor_platform + "'; valid: auto, ptrace, kvm",
                {{"key", "oci.gvisor_platform"}});
  }
  if (!o.rootfs.empty() && !o.image.empty()) {
    return fail(ErrorCode::policy_value, "oci.rootfs and oci.image are alternatives; set one",
                {{"key", "oci.image"}});
  }
  if (!o.rootfs.empty()) {
    if (auto r = check_existing(o.rootfs, "oci.rootfs"); !r) return r;
  }
  if (!o.image.empty()) {
    if (auto r = check_existing(o.image, "oci.image"); !r) return r;
    if (o.image_tag.empty()) {
      return fail(ErrorCode::policy_value, "oci.image_tag must not be empty", {{"key", "oci.image_tag"}});
    }
  }
  if (p.hostname.empty() || p.hostname.size() > 64) {
    return fail(ErrorCode::policy_value, "hostname must be 1..64 characters", {{"key", "hostname"}});
  }
  return {};
}

}  // namespace kavach
