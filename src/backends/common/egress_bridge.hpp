// Allowlist mode where the proxy's listener cannot be placed in the sandbox's own loopback
// (gVisor: the network stack is the sentry's): the proxy listens on a host Unix socket, and
// kavach-egress-bridge (src/bridge) listens on 127.0.0.1:<kEgressProxyPort> inside the sandbox
// and relays to it. The sandbox sees the same proxy address as on every other backend.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::common {

// Where the bridge and the socket's directory appear in the sandbox: read-only binds in the
// sandbox's own /dev tmpfs (like kavach-guard), so no mount point is made on the host.
inline constexpr const char* kEgressBridgePathInSandbox = "/dev/.kavach-egress-bridge";
inline constexpr const char* kEgressSocketDirInSandbox = "/dev/.kavach-egress";
inline constexpr const char* kEgressSocketName = "proxy.sock";

// $KAVACH_EGRESS_BRIDGE, the install location, this build tree.
[[nodiscard]] Result<std::filesystem::path> find_egress_bridge_binary();

// Makes `dir` and a listening Unix socket in it for the sandbox alone: owned by `owner` (the host
// uid the runtime connects as) and `group` (the sandbox user's group, as the host sees it), dir
// 0750, socket 0660 — no other host user can reach the proxy through it.
[[nodiscard]] Result<UniqueFd> listen_egress_socket(const std::filesystem::path& dir, uid_t owner, gid_t group);

// The sandbox's argv: the bridge in front of `command`.
[[nodiscard]] std::vector<std::string> egress_bridge_argv(std::uint16_t port, const std::vector<std::string>& command);

}  // namespace kavach::common
