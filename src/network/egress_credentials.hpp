// Turns a command's credential placeholders (Command::egress_swaps) into what the run needs:
// a CA for those hosts, its bundle and variables in the sandbox, and the proxy's options.
#pragma once

#include <memory>

#include "kavach/backend.hpp"
#include "kavach/policy.hpp"
#include "network/egress_proxy.hpp"

namespace kavach::network {

// `cmd` gains the CA bundle (an injected file, from memory) and its variables when it carries
// swaps. Errors: swaps without network mode allowlist, or for a host the allow-list refuses.
[[nodiscard]] Result<EgressOptions> prepare_egress(const SandboxPolicy& policy, Command& cmd);

// What a backend's exec holds for one run: the command as the sandbox gets it (the caller's, or
// a copy with the placeholders' CA bundle and variables) and the proxy's options. The copies of
// secret values are wiped when this goes.
class EgressRun {
 public:
  [[nodiscard]] static Result<EgressRun> prepare(const SandboxPolicy& policy, const Command& cmd);
  EgressRun(EgressRun&&) noexcept = default;
  EgressRun& operator=(EgressRun&&) = delete;
  EgressRun(const EgressRun&) = delete;
  ~EgressRun();

  [[nodiscard]] const Command& command() const { return copy_ ? *copy_ : *original_; }
  [[nodiscard]] const std::shared_ptr<EgressOptions>& options() const { return options_; }  // null: none

 private:
  explicit EgressRun(const Command& cmd) : original_(&cmd) {}
  const Command* original_;
  std::unique_ptr<Command> copy_;
  std::shared_ptr<EgressOptions> options_;
};

}  // namespace kavach::network
