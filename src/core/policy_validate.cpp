// Semantic checks shared by policy files, the builder and the CLI.
#include <linux/capability.h>

#include <filesystem>
#include <string>

#include "core/capability_names.hpp"
#include "core/env_names.hpp"
#include "core/policy_keys.hpp"
#include "kavach/network.hpp"
#include "kavach/policy.hpp"
#include "kavach/policy_ranges.hpp"
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

// "fs.writable_paths" + 1 -> "fs.writable_paths[1]": the policy file reader finds the entry's
// line from this key path.
std::string indexed(std::string_view key, std::size_t i) {
  return std::string(key) + "[" + std::to_string(i) + "]";
}

}  // namespace

Result<void> validate_policy(const SandboxPolicy& p) {
  if (p.seccomp.mode == SeccompMode::custom && p.seccomp.custom_allow.empty()) {
    return fail(ErrorCode::policy_value,
                "seccomp.custom_allow: mode 'custom' needs a non-empty allowlist",
                {{"key", "seccomp.custom_allow"}});
  }
  // A list its mode ignores would be a silent no-op: refused, naming the list.
  if (p.seccomp.mode == SeccompMode::none && !p.seccomp.extra_allow.empty()) {
    return fail(ErrorCode::policy_conflict,
                "seccomp.extra_allow: nothing to add to with seccomp.mode = \"none\" (no policy filter, every "
                "syscall but the host-safety ones is allowed already); remove it or pick a mode",
                {{"key", "seccomp.extra_allow"}});
  }
  if (p.seccomp.mode != SeccompMode::custom && !p.seccomp.custom_allow.empty()) {
    return fail(ErrorCode::policy_conflict,
                "seccomp.custom_allow: used only by seccomp.mode = \"custom\", but the mode is '" +
                    std::string(to_string(p.seccomp.mode)) + "'; use extra_allow to add to " +
                    std::string(to_string(p.seccomp.mode)),
                {{"key", "seccomp.custom_allow"}});
  }
  if (auto r = validate_syscall_names(p.seccomp.custom_allow, "seccomp.custom_allow"); !r) return r;
  if (auto r = validate_syscall_names(p.seccomp.extra_allow, "seccomp.extra_allow"); !r) return r;
  if (auto r = validate_syscall_names(p.seccomp.extra_deny, "seccomp.extra_deny"); !r) return r;
  // The program builder knows the combination rules (clone3 never allowable, allow/deny overlap,
  // custom lists without execve): surface them when the policy is loaded, not at run time.
  if (auto prog = build_seccomp_program(p.seccomp); !prog) return tl::unexpected(prog.error());

  for (std::size_t i = 0; i < p.fs.readonly_paths.size(); ++i) {
    if (auto r = check_existing(p.fs.readonly_paths[i], indexed("fs.readonly_paths", i)); !r) return r;
  }
  for (std::size_t i = 0; i < p.fs.writable_paths.size(); ++i) {
    const auto& d = p.fs.writable_paths[i];
    const std::string key = indexed("fs.writable_paths", i);
    if (auto r = check_existing(d, key); !r) return r;
    std::error_code ec;
    if (!std::filesystem::is_directory(d, ec)) {
      return fail(ErrorCode::policy_value, key + ": '" + d.string() + "' is not a directory",
                  {{"key", key}, {"path", d.string()}});
    }
  }
  for (std::size_t i = 0; i < p.fs.protected_paths.size(); ++i) {
    if (p.fs.protected_paths[i].empty()) {
      const std::string key = indexed("fs.protected_paths", i);
      return fail(ErrorCode::policy_value, key + ": empty path", {{"key", key}});
    }
  }
  for (std::size_t i = 0; i < p.env_allow.size(); ++i) {
    if (!is_env_var_name(p.env_allow[i])) {
      const std::string key = indexed("env_allow", i);
      return fail(ErrorCode::policy_value,
                  key + ": '" + p.env_allow[i] + "' is not a variable name (empty, or contains '=' or NUL)",
                  {{"key", key}});
    }
  }
  for (std::size_t i = 0; i < p.keep_capabilities.size(); ++i) {
    if (!capability_number(p.keep_capabilities[i])) {
      const std::string key = indexed("keep_capabilities", i);
      return fail(ErrorCode::policy_value,
                  key + ": unknown capability '" + p.keep_capabilities[i] +
                      "' (expected a name like CAP_NET_BIND_SERVICE)",
                  {{"key", key}, {"capability", p.keep_capabilities[i]}});
    }
    // Host safety: a file capability written through a writable path is honoured on the host.
    if (*capability_number(p.keep_capabilities[i]) == CAP_SETFCAP) {
      const std::string key = indexed("keep_capabilities", i);
      return fail(ErrorCode::policy_value,
                  key + ": CAP_SETFCAP cannot be kept — file capabilities the sandbox writes "
                        "through a writable path would grant privileges on the host",
                  {{"key", key}, {"capability", p.keep_capabilities[i]}});
    }
  }
  if (!p.fs.workdir.empty()) {
    if (auto r = check_absolute(p.fs.workdir, "fs.workdir"); !r) return r;
  }
  for (std::size_t i = 0; i < p.landlock.paths.size(); ++i) {
    const auto& rule = p.landlock.paths[i];
    const std::string key = indexed("landlock.paths", i);
    if (auto r = check_existing(rule.path, key); !r) return r;
    if (rule.access == 0 || (rule.access & ~7u) != 0) {
      return fail(ErrorCode::policy_value,
                  key + ": access for '" + rule.path.string() + "' must be read/write/exec", {{"key", key}});
    }
  }
  if (p.network.mode != NetworkMode::allowlist && !p.network.allow.empty()) {
    return fail(ErrorCode::policy_conflict,
                "network.allow: lists hosts, but network.mode is '" + std::string(to_string(p.network.mode)) +
                    "' (the list is used only by mode 'allowlist'); remove it or set mode = \"allowlist\"",
                {{"key", "network.allow"}});
  }
  if (p.network.mode == NetworkMode::allowlist && p.network.allow.empty()) {
    return fail(ErrorCode::policy_value,
                "network.allow: mode 'allowlist' needs entries (host, host:port, *.domain, IP or CIDR)",
                {{"key", "network.allow"}});
  }
  // Every number, against the one range table (files, the builder and the CLI share it).
  if (auto r = check_policy_numbers(p); !r) return r;
  for (const HostPort& e : p.network.allow) {  // entries a program built, checked like a file's
    auto parsed = parse_allow_entry(to_string(e));
    if (!parsed) return tl::unexpected(parsed.error());
    if (*parsed != e) {
      return fail(ErrorCode::policy_value,
                  "network.allow entry '" + e.host + "': write names lower-case, without a final dot",
                  {{"key", "network.allow"}});
    }
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

ValidPolicy::ValidPolicy() = default;

ValidPolicy::ValidPolicy(Preset p) : p_(preset_policy(p)) {}

Result<ValidPolicy> ValidPolicy::check(SandboxPolicy p) {
  if (auto v = validate_policy(p); !v) return tl::unexpected(v.error());
  return ValidPolicy(Checked{}, std::move(p));
}

Result<ValidPolicy> ValidPolicy::with_wall_timeout(std::chrono::milliseconds t) const {
  if (auto c = check_signed_range(ranges::wall_timeout, t.count()); !c) return tl::unexpected(c.error());
  ValidPolicy out = *this;
  out.p_.limits.wall_timeout = t;
  return out;
}

Result<void> check_workdir_visible(const SandboxPolicy& p) {
  const std::filesystem::path w = p.fs.workdir.lexically_normal();
  // An image or rootfs brings its own tree: the host's paths say nothing about it.
  if (w.empty() || w == "/" || w == "/tmp" || !p.oci.rootfs.empty() || !p.oci.image.empty()) return {};
  auto under = [&w](const std::filesystem::path& root) {
    const auto rel = w.lexically_relative(root.lexically_normal());
    return !rel.empty() && *rel.begin() != "..";
  };
  for (const auto* list : {&p.fs.writable_paths, &p.fs.readonly_paths}) {
    for (const auto& root : *list) {
      std::error_code ec;
      const auto real = std::filesystem::weakly_canonical(root, ec);
      if (under(root) || (!ec && under(real))) return {};
    }
  }
  return fail(ErrorCode::policy_conflict,
              "fs.workdir: '" + w.string() +
                  "' is inside no fs.writable_paths or fs.readonly_paths entry, so the sandbox cannot see it; "
                  "add its directory to one of them",
              {{"key", "fs.workdir"}, {"path", w.string()}});
}

}  // namespace kavach
