// SandboxConfigBuilder: setters record the FIRST error; build() returns it or the validated config.
#include "kavach/config.hpp"

#include "kavach/policy_ranges.hpp"

#include "core/env_names.hpp"

namespace kavach {
namespace {

// A setter's argument is the caller's (invalid_argument); the range and the field it would set
// come from the shared table.
Error setter_error(Error e, const char* setter) {
  e.code = ErrorCode::invalid_argument;
  e.context["setter"] = setter;
  return e;
}

}  // namespace

SandboxConfigBuilder::SandboxConfigBuilder() : base_(preset_policy(Preset::agent)) {}

void SandboxConfigBuilder::set_error(Error e) {
  if (!error_) error_ = std::move(e);
}

SandboxConfigBuilder& SandboxConfigBuilder::edit(std::function<void(SandboxPolicy&)> f) {
  edits_.push_back(std::move(f));
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::backend(BackendKind kind) {
  config_.backend = kind;
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::backend(std::string_view name) {
  if (auto k = parse_backend(name)) config_.backend = *k;
  else set_error(k.error());
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::preset(Preset p) {
  base_ = preset_policy(p);
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::preset(std::string_view name) {
  if (auto p = parse_preset(name)) base_ = preset_policy(*p);
  else set_error(p.error());
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::policy(SandboxPolicy p) {
  base_ = std::move(p);
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::policy_file(const std::filesystem::path& file) {
  if (auto p = load_policy_file(file)) base_ = std::move(*p);
  else set_error(p.error());
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::timeout(std::chrono::milliseconds t) {
  if (auto c = check_signed_range(ranges::wall_timeout, t.count()); !c) set_error(setter_error(c.error(), "timeout"));
  else return edit([t](SandboxPolicy& p) { p.limits.wall_timeout = t; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::memory_limit(std::uint64_t bytes) {
  if (auto c = check_range(ranges::memory, bytes); !c) set_error(setter_error(c.error(), "memory_limit"));
  else return edit([bytes](SandboxPolicy& p) { p.limits.memory_bytes = bytes; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::cpu_limit(double cores) {
  if (auto c = check_real_range(ranges::cpu, cores); !c) set_error(setter_error(c.error(), "cpu_limit"));
  else return edit([cores](SandboxPolicy& p) { p.limits.cpu_cores = cores; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::pids_limit(std::uint64_t n) {
  if (auto c = check_range(ranges::pids, n); !c) set_error(setter_error(c.error(), "pids_limit"));
  else return edit([n](SandboxPolicy& p) { p.limits.pids = n; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::disk_limit(std::uint64_t bytes) {
  if (auto c = check_range(ranges::disk, bytes); !c) set_error(setter_error(c.error(), "disk_limit"));
  else return edit([bytes](SandboxPolicy& p) { p.limits.disk_bytes = bytes; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::output_limit(std::uint64_t bytes) {
  if (auto c = check_range(ranges::output, bytes); !c) set_error(setter_error(c.error(), "output_limit"));
  else return edit([bytes](SandboxPolicy& p) { p.limits.output_bytes = bytes; });
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::network(NetworkMode mode) {
  return edit([mode](SandboxPolicy& p) { p.network.mode = mode; });
}

SandboxConfigBuilder& SandboxConfigBuilder::writable(const std::filesystem::path& host_path) {
  if (!host_path.is_absolute()) {
    set_error(make_error(ErrorCode::path_not_absolute,
                         "writable path '" + host_path.string() + "' must be absolute",
                         {{"path", host_path.string()}}));
  } else {
    return edit([path = host_path.lexically_normal()](SandboxPolicy& p) { p.fs.writable_paths.push_back(path); });
  }
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::readonly(const std::filesystem::path& host_path) {
  if (!host_path.is_absolute()) {
    set_error(make_error(ErrorCode::path_not_absolute,
                         "read-only path '" + host_path.string() + "' must be absolute",
                         {{"path", host_path.string()}}));
  } else {
    return edit([path = host_path.lexically_normal()](SandboxPolicy& p) { p.fs.readonly_paths.push_back(path); });
  }
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::allow_env(std::string name) {
  if (!is_env_var_name(name)) {
    set_error(make_error(ErrorCode::invalid_argument, "environment name '" + name + "' is invalid"));
    return *this;
  }
  return edit([name = std::move(name)](SandboxPolicy& p) { p.env_allow.push_back(name); });
}

SandboxConfigBuilder& SandboxConfigBuilder::seccomp(SeccompMode mode) {
  return edit([mode](SandboxPolicy& p) { p.seccomp.mode = mode; });
}

SandboxConfigBuilder& SandboxConfigBuilder::allow_degrade(Control c) {
  return edit([c](SandboxPolicy& p) { p.may_degrade.insert(c); });
}

SandboxConfigBuilder& SandboxConfigBuilder::hook(std::shared_ptr<AuditHook> h) {
  if (!h) set_error(make_error(ErrorCode::invalid_argument, "audit hook is null"));
  else config_.hooks.push_back(std::move(h));
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::credentials(std::shared_ptr<const CredentialProxy> proxy,
                                                        std::vector<SecretRef> refs) {
  // Names are checked against the proxy by Sandbox::create (core does not link the proxy).
  if (!proxy && !refs.empty()) {
    set_error(make_error(ErrorCode::secret_error, "secret refs given without a credential proxy"));
    return *this;
  }
  config_.credentials = std::move(proxy);
  config_.secret_refs = std::move(refs);
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::gate(bool enabled) {
  config_.gate.enabled = enabled;
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::gate_rules(const std::filesystem::path& rule_file) {
  auto g = gate::Gate::from_file(rule_file);
  if (!g) {
    set_error(g.error());
    return *this;
  }
  config_.gate.rules = std::move(*g);
  return *this;
}

SandboxConfigBuilder& SandboxConfigBuilder::gate_options(gate::Options options) {
  config_.gate.options = std::move(options);
  return *this;
}

Result<SandboxConfig> SandboxConfigBuilder::build() const {
  if (error_) return tl::unexpected(*error_);
  SandboxPolicy policy = base_;
  for (const auto& e : edits_) e(policy);
  auto valid = ValidPolicy::check(std::move(policy));
  if (!valid) return tl::unexpected(valid.error());
  SandboxConfig out = config_;
  out.policy = std::move(*valid);
  return out;
}

}  // namespace kavach
