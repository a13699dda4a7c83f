// One interface, many isolation backends.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kavach/backend_kind.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"
#include "kavach/result.hpp"
#include "kavach/stream.hpp"

namespace kavach {

// A file placed inside the sandbox at start (e.g. an injected secret). Content never touches host
// disk: backends deliver it from memory (memfd / the sandbox's own tmpfs).
struct InjectedFile {
  std::filesystem::path path;  // absolute path inside the sandbox
  std::string content;
  unsigned mode = 0400;
};

// A secret the sandbox holds only as a placeholder: the egress proxy (network mode allowlist)
// puts `value` in place of `placeholder` inside `header` of HTTPS requests to host:port, and
// nowhere else (docs/network.md). Sandbox fills these from SandboxConfig::egress_credentials.
struct EgressSwap {
  std::string name;         // the secret's name
  std::string host;         // a network.allow destination (name or IP), lower-case
  std::uint16_t port = 443;
  std::string header;       // e.g. "Authorization"
  std::string placeholder;  // what the sandbox's environment variable `name` holds
  std::string value;        // the secret (wiped by Sandbox after the run)
};

// What to run. The environment starts EMPTY: only policy.env_allow names and `env` reach it.
struct Command {
  std::vector<std::string> argv;                         // argv[0] resolved via PATH inside
  std::vector<std::pair<std::string, std::string>> env;  // injected variables
  std::optional<std::string> stdin_data;                 // none = /dev/null
  std::vector<InjectedFile> files;
  // Live I/O (include/kavach/stream.hpp). stdin_fd: read by kavach and forwarded to the command
  // as it reads (back-pressure: never more than one pipe buffer ahead), until EOF; not closed by
  // kavach; exclusive with stdin_data. output: gets the output while the command writes it (the
  // result holds it too). terminal: run on a PTY (stdin_fd feeds its input).
  int stdin_fd = -1;
  OutputSink* output = nullptr;
  std::optional<TerminalRequest> terminal = std::nullopt;
  // Network allowlist: credential placeholders (above), and extra CA certificates (PEM) the proxy
  // trusts for those destinations besides the system's (a private CA).
  std::vector<EgressSwap> egress_swaps = {};
  std::string egress_upstream_ca_pem = {};
  // Sessions (include/kavach/session.hpp): run kavach's session init instead of argv — a long-lived
  // command that starts the session's commands as its descendants. Not for callers.
  bool session_init = false;
};

// runs_commands: runs a command end to end; config_only: only writes a runtime config;
// not_implemented: listed so the matrix is honest, runs nothing; runs_nothing: the noop test
// double, which reports success without running the command.
enum class Maturity { runs_commands, config_only, not_implemented, runs_nothing };
[[nodiscard]] std::string_view to_string(Maturity m);

struct Availability {
  bool available = false;
  std::string reason;  // why not, or what it will use ("runc 1.1.5")
};

class Backend {
 public:
  virtual ~Backend() = default;
  [[nodiscard]] virtual BackendKind kind() const = 0;
  [[nodiscard]] virtual Maturity maturity() const = 0;
  [[nodiscard]] virtual Availability availability() const = 0;
  // Run one command under the policy. Returns an error only when the sandbox could not be set up
  // (fail-closed control, missing runtime...); a command that fails is a successful ExecResult.
  [[nodiscard]] Result<ExecResult> exec(const ValidPolicy& policy, const Command& cmd) { return run(policy, cmd); }
  // The same after ValidPolicy::check (a Sandbox checks once, at create, and passes its ValidPolicy).
  [[nodiscard]] Result<ExecResult> exec(const SandboxPolicy& policy, const Command& cmd) {
    auto valid = ValidPolicy::check(policy);
    if (!valid) return tl::unexpected(valid.error());
    return run(*valid, cmd);
  }
  [[nodiscard]] virtual Result<void> health_check() = 0;
  // Release everything this backend holds (idempotent).
  [[nodiscard]] virtual Result<void> destroy() = 0;

 protected:
  // What a backend implements: render the checked policy and run (never re-validates).
  [[nodiscard]] virtual Result<ExecResult> run(const ValidPolicy& policy, const Command& cmd) = 0;
};

// Factory. `host` decides availability; defaults to the live host probe.
[[nodiscard]] Result<std::unique_ptr<Backend>> create_backend(BackendKind kind);
[[nodiscard]] Result<std::unique_ptr<Backend>> create_backend(BackendKind kind, const HostInfo& host);

}  // namespace kavach
