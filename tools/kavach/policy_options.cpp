#include "policy_options.hpp"

#include <filesystem>

#include "kavach/network.hpp"
#include "numeric_flag.hpp"
#include "policy_lines.hpp"

namespace kavach::cli {

void add_policy_options(CLI::App* cmd, PolicyOptions& o) {
  cmd->add_option("--backend", o.backend, "isolation backend (kavach backends lists them)")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--preset", o.preset, "minimal, basic, strict or agent (default agent)")->type_name("NAME");
  cmd->add_option("--policy", o.policy_file, "TOML policy file (its `extends` names the preset)")->type_name("FILE");
  cmd->add_option("--timeout-ms", o.timeout_ms,
                  "wall-clock timeout " + describe_range(kTimeoutMsFlag.range) + "; the whole tree is killed")
      ->type_name("UINT");
  cmd->add_option("--memory-mb", o.memory_mb, "memory limit (cgroup) " + describe_range(kMemoryMbFlag.range))
      ->type_name("UINT");
  cmd->add_option("--disk-mb", o.disk_mb,
                  "MiB the run may add to host disk through its --rw paths (project quota) " +
                      describe_range(kDiskMbFlag.range))
      ->type_name("UINT");
  cmd->add_option("--pids", o.pids, "process/thread limit (cgroup) " + describe_range(kPidsFlag.range))
      ->type_name("UINT");
  cmd->add_option("--output-limit", o.output_limit,
                  "bytes kept per stream, K/M/G suffixes " + describe_range(kOutputLimitFlag.range))
      ->type_name("SIZE");
  cmd->add_option("--network", o.network, "off, loopback, allowlist (with --allow) or host")->type_name("MODE");
  cmd->add_option("--allow", o.allow, "where the egress proxy may connect: host[:port], *.domain, IP, CIDR (repeatable)")
      ->type_name("DEST")
      ->allow_extra_args(false);
  cmd->add_option("--rw", o.rw, "host directory mounted writable (repeatable; the first is the cwd)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  cmd->add_option("--ro", o.ro, "host path mounted read-only (repeatable)")->type_name("PATH")->allow_extra_args(false);
  cmd->add_option("--cwd", o.cwd, "working directory inside the sandbox (a mounted path, / or /tmp)")
      ->type_name("DIR");
  cmd->add_option("--env", o.env, "NAME passes the host's variable, NAME=VALUE sets one (repeatable)")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  cmd->add_option("--may-degrade", o.may_degrade,
                  "control that may be skipped, recorded, if the host lacks it (repeatable)")
      ->type_name("CONTROL")
      ->allow_extra_args(false);
  cmd->add_option("--runtime", o.runtime, "oci/gvisor: OCI runtime (default automatic)")
      ->type_name("NAME")
      ->check(CLI::IsMember({"crun", "runc", "runsc"}));
  cmd->add_option("--rootfs", o.rootfs, "oci/gvisor: root filesystem directory (default: host view)")
      ->type_name("DIR");
  cmd->add_option("--image", o.image, "oci/gvisor: OCI image layout on disk, PATH[:TAG] (no pulls)")
      ->type_name("PATH[:TAG]");
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

Result<void> apply_numbers(const PolicyOptions& o, SandboxPolicy& p) {
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
  if (o.output_limit) {
    auto bytes = parse_size_flag(kOutputLimitFlag, *o.output_limit);
    if (!bytes) return tl::unexpected(bytes.error());
    p.limits.output_bytes = *bytes;
  }
  return {};
}

void apply_oci(const PolicyOptions& o, SandboxPolicy& p) {
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
}

// --cwd, else the policy's fs.workdir, else the first --rw. A file's workdir and a different
// first --rw contradict each other unless --cwd says which one wins.
Result<void> apply_workdir(const PolicyOptions& o, const std::vector<std::filesystem::path>& rw,
                           SandboxPolicy& p) {
  if (!o.cwd.empty()) {
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(o.cwd, ec).lexically_normal();
    if (auto real = std::filesystem::canonical(dir, ec); !ec) dir = real;
    p.fs.workdir = dir;
  } else if (!rw.empty()) {
    if (p.fs.workdir.empty()) {
      p.fs.workdir = rw.front();
    } else if (p.fs.workdir != rw.front()) {
      const std::string where = policy_key_location(o.policy_file, "fs.workdir");
      return fail(ErrorCode::policy_conflict,
                  "--rw " + rw.front().string() + " would be the working directory, but " + where +
                      " sets fs.workdir = " + p.fs.workdir.string(),
                  {{"flag", "--rw"},
                   {"key", "fs.workdir"},
                   {"file", o.policy_file},
                   {"location", where},
                   {"hint", "say which one wins: --cwd " + p.fs.workdir.string() + " (the policy's) or --cwd " +
                                rw.front().string() + " (the flag's)"}});
    }
  }
  if (auto v = check_workdir_visible(p); !v) {
    Error e = v.error();
    if (!o.cwd.empty()) {
      e.message = "--cwd " + o.cwd + ": " + e.message;
      e.context["flag"] = "--cwd";
      e.context["hint"] = "mount it: --ro " + p.fs.workdir.string() + " (read-only) or --rw " +
                          p.fs.workdir.string() + " (writable)";
    } else if (!o.policy_file.empty()) {
      e.message = policy_key_location(o.policy_file, "fs.workdir") + ": " + e.message;
    }
    return tl::unexpected(std::move(e));
  }
  return {};
}

Result<void> apply_lists(const PolicyOptions& o, SandboxPolicy& p) {
  std::vector<std::filesystem::path> rw;
  for (const auto& raw : o.rw) {
    auto path = absolute_existing(raw, "--rw");
    if (!path) return tl::unexpected(path.error());
    if (!std::filesystem::is_directory(*path)) {
      return fail(ErrorCode::invalid_argument, "--rw " + raw + ": not a directory", {{"path", raw}});
    }
    p.fs.writable_paths.push_back(*path);
    rw.push_back(*path);
  }
  for (const auto& raw : o.ro) {
    auto path = absolute_existing(raw, "--ro");
    if (!path) return tl::unexpected(path.error());
    p.fs.readonly_paths.push_back(*path);
  }
  if (auto w = apply_workdir(o, rw, p); !w) return w;
  for (const auto& entry : o.env) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name.empty() || name.find('\0') != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "--env takes NAME or NAME=VALUE, got '" + entry + "'",
                  {{"flag", "--env"}, {"value", entry}});
    }
    if (name.size() == entry.size()) p.env_allow.push_back(name);
  }
  for (const auto& name : o.may_degrade) {
    auto c = parse_control(name);
    if (!c) {
      return fail(ErrorCode::invalid_argument, "--may-degrade: " + c.error().message,
                  {{"flag", "--may-degrade"}, {"value", name}});
    }
    p.may_degrade.insert(*c);
  }
  return {};
}

}  // namespace

Result<BackendKind> resolve_backend(const PolicyOptions& o) { return parse_backend(o.backend); }

Result<ValidPolicy> resolve_policy(const PolicyOptions& o) {
  SandboxPolicy p;
  if (!o.policy_file.empty()) {
    if (!o.preset.empty()) {
      return fail(ErrorCode::invalid_argument,
                  "--preset and --policy contradict each other: a policy file starts from the preset its "
                  "`extends` names",
                  {{"flag", "--preset"},
                   {"hint", "drop --preset, or write extends = \"" + o.preset + "\" in " + o.policy_file}});
    }
    auto loaded = load_policy_file(o.policy_file);
    if (!loaded) return tl::unexpected(loaded.error());
    p = std::move(*loaded);
  } else {
    auto preset = parse_preset(o.preset.empty() ? kDefaultPreset : o.preset);
    if (!preset) return tl::unexpected(preset.error());
    p = preset_policy(*preset);
  }
  if (auto r = apply_numbers(o, p); !r) return tl::unexpected(r.error());
  if (!o.network.empty() || !o.allow.empty()) {
    // The flags replace the network setting whole: a file's allowlist goes with its mode.
    // --allow alone means allowlist.
    auto mode = parse_network_mode(o.network.empty() ? "allowlist" : o.network);
    if (!mode) return fail(ErrorCode::invalid_argument, "--network: " + mode.error().message, {{"flag", "--network"}});
    p.network.mode = *mode;
    p.network.allow.clear();
    for (const std::string& a : o.allow) {
      auto entry = parse_allow_entry(a);
      if (!entry) return tl::unexpected(entry.error());
      p.network.allow.push_back(std::move(*entry));
    }
  }
  apply_oci(o, p);  // before the working directory: an image or rootfs brings its own tree
  if (auto r = apply_lists(o, p); !r) return tl::unexpected(r.error());
  return ValidPolicy::check(std::move(p));
}

std::vector<std::pair<std::string, std::string>> command_env(const PolicyOptions& o) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& entry : o.env) {
    const auto eq = entry.find('=');
    if (eq != std::string::npos && eq > 0) out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

}  // namespace kavach::cli
