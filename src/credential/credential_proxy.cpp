#include <cstring>
#include <string>
#include <utility>

#include "credential/secret_sources.hpp"
#include "core/secure_buffer.hpp"
#include "kavach/credential.hpp"

namespace kavach {

using detail::SecureBuffer;

std::string_view to_string(SecretSourceKind k) {
  switch (k) {
    case SecretSourceKind::env: return "env";
    case SecretSourceKind::file: return "file";
    case SecretSourceKind::command: return "cmd";
  }
  return "env";
}

std::string_view to_string(InjectionMethod m) {
  switch (m) {
    case InjectionMethod::env: return "env";
    case InjectionMethod::file: return "file";
    case InjectionMethod::standard_input: return "stdin";
    case InjectionMethod::egress: return "egress";
  }
  return "env";
}

CredentialProxy::CredentialProxy() = default;
CredentialProxy::~CredentialProxy() = default;  // each SecureBuffer wipes itself
CredentialProxy::CredentialProxy(CredentialProxy&&) noexcept = default;
CredentialProxy& CredentialProxy::operator=(CredentialProxy&&) noexcept = default;

Result<void> CredentialProxy::store(std::string_view name, SecureBuffer value, std::string source_label) {
  // `value` is wiped by its destructor on every error path below.
  const std::string src = std::move(source_label);
  if (secrets_.find(name) != secrets_.end()) {
    return fail(ErrorCode::secret_error, "secret '" + std::string(name) + "' is registered twice",
                {{"secret", std::string(name)}, {"source", src}, {"reason", std::string(kReasonDuplicateName)}});
  }
  if (value.size() < kMinSecretBytes) {
    return fail(ErrorCode::secret_error,
                "secret '" + std::string(name) + "' from " + src + " is " + std::to_string(value.size()) +
                    " byte(s) long; at least " + std::to_string(kMinSecretBytes) +
                    " are required (shorter values cannot be redacted without shredding the output)",
                {{"secret", std::string(name)}, {"source", src}, {"reason", std::string(kReasonTooShort)}});
  }
  secrets_.emplace(std::string(name), std::make_unique<SecureBuffer>(std::move(value)));
  return {};
}

Result<void> CredentialProxy::add(std::string_view name, const SecretSource& source) {
  if (!is_valid_secret_name(name)) {
    return fail(ErrorCode::secret_error,
                "invalid secret name '" + std::string(name) +
                    "': use a letter or '_' then letters, digits, '_', '.', '-' (at most 64)",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonInvalidName)}});
  }
  // Refuse a duplicate before running a command or reading a file for nothing.
  if (contains(name)) {
    return fail(ErrorCode::secret_error, "secret '" + std::string(name) + "' is registered twice",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonDuplicateName)}});
  }
  Result<SecureBuffer> value = [&]() -> Result<SecureBuffer> {
    switch (source.kind) {
      case SecretSourceKind::env: return detail::read_env_secret(name, source.location);
      case SecretSourceKind::file: return detail::read_file_secret(name, source.location);
      case SecretSourceKind::command: return detail::read_command_secret(name, source.location);
    }
    return fail(ErrorCode::secret_error, "unknown secret source kind",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonUnreadableSource)}});
  }();
  if (!value) return tl::unexpected(value.error());
  return store(name, std::move(*value), std::string(to_string(source.kind)) + ":" + source.location);
}

Result<void> CredentialProxy::add_from_env(std::string_view name, std::string_view host_var) {
  return add(name, SecretSource{SecretSourceKind::env, std::string(host_var)});
}

Result<void> CredentialProxy::add_from_file(std::string_view name, const std::filesystem::path& host_path) {
  return add(name, SecretSource{SecretSourceKind::file, host_path.string()});
}

Result<void> CredentialProxy::add_from_command(std::string_view name, std::string_view command) {
  return add(name, SecretSource{SecretSourceKind::command, std::string(command)});
}

Result<void> CredentialProxy::add_value(std::string_view name, std::string_view value) {
  if (!is_valid_secret_name(name)) {
    return fail(ErrorCode::secret_error, "invalid secret name '" + std::string(name) + "'",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonInvalidName)}});
  }
  if (value.empty()) {
    return fail(ErrorCode::secret_error, "secret '" + std::string(name) + "' is empty",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonEmptySource)}});
  }
  if (value.size() > kMaxSecretBytes) {
    return fail(ErrorCode::secret_error,
                "secret '" + std::string(name) + "' is larger than " + std::to_string(kMaxSecretBytes) + " bytes",
                {{"secret", std::string(name)}, {"reason", std::string(kReasonTooLarge)}});
  }
  auto buf = SecureBuffer::copy_of(value);
  if (!buf) return tl::unexpected(buf.error());
  return store(name, std::move(*buf), "in-memory value");
}

std::vector<std::string_view> CredentialProxy::values() const {
  std::vector<std::string_view> out;
  out.reserve(secrets_.size());
  for (const auto& [name, buf] : secrets_) out.push_back(buf->view());
  return out;
}

std::vector<std::string> CredentialProxy::names() const {
  std::vector<std::string> out;
  out.reserve(secrets_.size());
  for (const auto& [name, buf] : secrets_) out.push_back(name);
  return out;
}

bool CredentialProxy::contains(std::string_view name) const { return secrets_.find(name) != secrets_.end(); }

std::size_t CredentialProxy::size() const { return secrets_.size(); }

bool CredentialProxy::memory_locked() const {
  for (const auto& [name, buf] : secrets_) {
    if (!buf->locked()) return false;
  }
  return true;
}

void CredentialProxy::scrub(Command& cmd) const {
  const auto is_secret = [this](const std::string& s) {
    for (const auto& [name, buf] : secrets_) {
      if (buf->view() == s) return true;
    }
    return false;
  };
  for (auto it = cmd.env.begin(); it != cmd.env.end();) {
    if (is_secret(it->second)) {
      detail::wipe(it->second);
      it = cmd.env.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = cmd.files.begin(); it != cmd.files.end();) {
    if (is_secret(it->content)) {
      detail::wipe(it->content);
      it = cmd.files.erase(it);
    } else {
      ++it;
    }
  }
  for (EgressSwap& s : cmd.egress_swaps) detail::wipe(s.value);
  cmd.egress_swaps.clear();
  if (cmd.stdin_data && is_secret(*cmd.stdin_data)) {
    detail::wipe(*cmd.stdin_data);
    cmd.stdin_data.reset();
  }
}

}  // namespace kavach
