// Turns a command's credential placeholders (Command::egress_swaps) into what the run needs:
// a CA for those hosts, its bundle and variables in the sandbox, and the proxy's options.
#pragma once

#include "kavach/backend.hpp"
#include "kavach/policy.hpp"
#include "network/egress_proxy.hpp"

namespace kavach::network {

// `cmd` gains the CA bundle (an injected file, from memory) and its variables when it carries
// swaps. Errors: swaps without network mode allowlist, or for a host the allow-list refuses.
[[nodiscard]] Result<EgressOptions> prepare_egress(const SandboxPolicy& policy, Command& cmd);

}  // namespace kavach::network
