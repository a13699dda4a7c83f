// Credential proxy: secrets registered by name on the host, delivered into a sandbox as an
// environment variable, a file (from memory, never host disk) or stdin — never into errors,
// logs, audit events or JSON output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"

namespace kavach {

// Where a secret's bytes come from on the host. Secret values are never given literally (they
// would show in argv, shell history and `ps`).
enum class SecretSourceKind {
  env,      // a host environment variable, read at registration
  file,     // a host file, read once at registration
  command,  // stdout of `/bin/sh -c COMMAND`, run once at registration
};
[[nodiscard]] std::string_view to_string(SecretSourceKind k);

struct SecretSource {
  SecretSourceKind kind = SecretSourceKind::env;
  std::string location;  // host variable name, host path, or shell command
};

// How a secret reaches the sandboxed command. (`stdin` is a macro in <cstdio>, hence the name.)
enum class InjectionMethod {
  env,             // environment variable `target`
  file,            // file at absolute path `target` inside the sandbox, mode 0400
  standard_input,  // the command's stdin (target empty)
  egress,          // a placeholder in variable VAR; the egress proxy swaps the value into HEADER
                   // of HTTPS requests to HOST (target "VAR@HOST[:PORT]/HEADER", docs/network.md)
};

// The target of an egress injection: "VAR@HOST[:PORT]/HEADER" (port 443 when absent).
struct EgressTarget {
  std::string variable;
  std::string host;  // a name or an IP, lower-case
  std::uint16_t port = 443;
  std::string header;
};
[[nodiscard]] Result<EgressTarget> parse_egress_target(std::string_view target);
[[nodiscard]] std::string_view to_string(InjectionMethod m);

struct SecretRef {
  std::string name;
  InjectionMethod method = InjectionMethod::env;
  std::string target;  // variable name or sandbox path; empty for standard_input

  bool operator==(const SecretRef&) const = default;
};

// Largest secret accepted from any source (guards against `file:/dev/zero` and runaway commands).
inline constexpr std::size_t kMaxSecretBytes = 1 << 20;
// Shortest secret accepted: the gate redacts every occurrence of a registered value in any
// encoding, and a 1-3 byte value would shred ordinary output (and is no secret anyway).
inline constexpr std::size_t kMinSecretBytes = 4;

// Every secret_error carries the context key "reason" with one of these values, so callers tell
// the cases apart without parsing messages (the code stays ErrorCode::secret_error).
inline constexpr std::string_view kReasonInvalidName = "invalid_name";          // not a secret name
inline constexpr std::string_view kReasonDuplicateName = "duplicate_name";      // registered twice
inline constexpr std::string_view kReasonUnreadableSource = "unreadable_source";  // unset, unreadable, failed
inline constexpr std::string_view kReasonEmptySource = "empty_source";          // source gave no bytes
inline constexpr std::string_view kReasonTooShort = "too_short";                // < kMinSecretBytes
inline constexpr std::string_view kReasonTooLarge = "too_large";                // > kMaxSecretBytes
inline constexpr std::string_view kReasonUnknownName = "unknown_name";          // inject of an unregistered name
inline constexpr std::string_view kReasonInvalidTarget = "invalid_target";      // bad variable name / path
inline constexpr std::string_view kReasonDuplicateTarget = "duplicate_target";  // target already taken
inline constexpr std::string_view kReasonNulByte = "nul_byte";                  // NUL in an env value
inline constexpr std::string_view kReasonMissingProxy = "missing_proxy";        // refs without a proxy
inline constexpr std::string_view kReasonHardening = "hardening";              // setrlimit / prctl failed

namespace detail {
class SecureBuffer;
}

class CredentialProxy {
 public:
  CredentialProxy();
  ~CredentialProxy();  // wipes every value (explicit_bzero) and unlocks/unmaps its pages
  CredentialProxy(const CredentialProxy&) = delete;
  CredentialProxy& operator=(const CredentialProxy&) = delete;
  CredentialProxy(CredentialProxy&&) noexcept;
  CredentialProxy& operator=(CredentialProxy&&) noexcept;

  // Each returns secret_error naming the secret and its source (never the value) when the
  // name is taken or invalid, or the source is unset, unreadable, empty, shorter than
  // kMinSecretBytes, too large or failed (context "reason" says which).
  // File and command values lose trailing newlines, like shell command substitution.
  [[nodiscard]] Result<void> add(std::string_view name, const SecretSource& source);
  [[nodiscard]] Result<void> add_from_env(std::string_view name, std::string_view host_var);
  [[nodiscard]] Result<void> add_from_file(std::string_view name, const std::filesystem::path& host_path);
  [[nodiscard]] Result<void> add_from_command(std::string_view name, std::string_view command);
  // For library callers that already hold the value (it is copied into protected memory).
  [[nodiscard]] Result<void> add_value(std::string_view name, std::string_view value);

  // Adds the referenced secrets to `cmd` (env pairs, InjectedFile with mode 0400, stdin_data).
  // All refs are checked first, so on error `cmd` is unchanged. Errors (secret_error): unknown
  // name, a target used twice (also against what `cmd` already sets), a bad target, a value that
  // cannot be an environment variable (NUL byte).
  [[nodiscard]] Result<void> inject(const std::vector<SecretRef>& refs, Command& cmd) const;
  // The checks inject() makes, without copying any value (e.g. before a sandbox is set up).
  [[nodiscard]] Result<void> validate(const std::vector<SecretRef>& refs, const Command& cmd) const;
  // Also refuses (duplicate_target) an env target the policy itself sets: `policy_env` are the
  // names the sandbox's environment gets from the policy (env allow-list, default PATH).
  [[nodiscard]] Result<void> validate(const std::vector<SecretRef>& refs, const Command& cmd,
                                      const std::vector<std::string>& policy_env) const;

  // Wipes (explicit_bzero) and removes from `cmd` every env value, file and stdin that holds a
  // registered secret: call when the command has been handed to the backend.
  void scrub(Command& cmd) const;

  // Every registered value, for the gate's redaction. Views stay valid while the proxy lives.
  [[nodiscard]] std::vector<std::string_view> values() const;
  [[nodiscard]] std::vector<std::string> names() const;
  [[nodiscard]] bool contains(std::string_view name) const;
  [[nodiscard]] std::size_t size() const;
  // True when every value sits in mlock'ed pages (false if RLIMIT_MEMLOCK refused some).
  [[nodiscard]] bool memory_locked() const;

 private:
  [[nodiscard]] Result<void> store(std::string_view name, detail::SecureBuffer value, std::string source_label);
  std::map<std::string, std::unique_ptr<detail::SecureBuffer>, std::less<>> secrets_;
};

// Process-wide protection for a program that handles secrets: PR_SET_DUMPABLE 0 (no core dump,
// no ptrace or /proc/PID/mem access by other processes of the same uid) and RLIMIT_CORE 0.
// Transient copies of values (in Command, a backend's environment block, an OCI spec) live in
// ordinary heap memory, which only this covers. `kavach run` calls it before reading a secret;
// library callers decide themselves (it changes the whole process). Idempotent.
[[nodiscard]] Result<void> harden_process_for_secrets();

// A secret name: a letter or '_' then letters, digits, '_', '.', '-' (at most 64).
[[nodiscard]] bool is_valid_secret_name(std::string_view name);
// A POSIX environment variable name: [A-Za-z_][A-Za-z0-9_]*.
[[nodiscard]] bool is_valid_env_name(std::string_view name);

}  // namespace kavach
