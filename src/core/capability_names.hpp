// Linux capability names: validated with the policy, used by every backend that drops or keeps
// capabilities (the process backend applies them itself, the OCI backends write them into config.json).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kavach {

// "net_bind_service", "CAP_NET_BIND_SERVICE", "cap_net_bind_service" -> "CAP_NET_BIND_SERVICE".
[[nodiscard]] std::string canonical_capability_name(std::string_view name);

// The capability number of a (canonical or not) name, from libcap; nullopt for unknown names.
[[nodiscard]] std::optional<int> capability_number(std::string_view name);

}  // namespace kavach
