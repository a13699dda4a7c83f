// What the policy's network section means, defined once. Every backend renders this view
// (process: clone flags and the child's listener; OCI: the spec's namespace; gVisor: runsc
// flags) instead of reading policy.network itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach {

// Allowlist mode: inside the sandbox, kavach's egress proxy listens on this address and port.
inline constexpr std::string_view kEgressProxyHost = "127.0.0.1";
inline constexpr std::uint16_t kEgressProxyPort = 3128;

// Credential placeholders: the run's CA bundle (the system's CAs and the run's own, which signs
// only the hosts that carry a credential) is delivered here from memory, and the usual variables
// point at it so Python, curl, git, pip and Node trust it.
inline constexpr std::string_view kEgressCaBundlePath = "/run/kavach/egress-ca.pem";
inline constexpr const char* kEgressCaVariables[] = {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                                                     "GIT_SSL_CAINFO", "PIP_CERT", "NODE_EXTRA_CA_CERTS"};

struct TcpPortRules {
  std::vector<std::uint16_t> bind;
  std::vector<std::uint16_t> connect;
};

struct NetworkView {
  NetworkMode mode = NetworkMode::off;
  bool own_namespace = true;   // off, loopback, allowlist: a fresh network namespace; host: the host's
  bool loopback_up = false;    // loopback, allowlist: `lo` is brought up (127.0.0.1 and ::1 work)
  bool egress_proxy = false;   // allowlist: the only way out is the proxy at kEgressProxyHost:Port
  // Landlock TCP rules to install, or none. With network off they deny what is not listed (there
  // is nothing to reach anyway); in the other modes they apply only when the policy lists ports,
  // so loopback servers and the proxy work by default. Allowlist adds the proxy's port to connect.
  std::optional<TcpPortRules> landlock_tcp;
  std::string landlock_tcp_detail;  // why there are no rules, or what the rules are
  // Variables set in the sandbox before the command's own (proxy settings in allowlist mode).
  std::vector<std::pair<std::string, std::string>> env;
  std::string what;  // one line for the enforcement report: what this mode gives the sandbox
  std::string egress_detail;  // allowlist: the proxy's report line
  std::string dns_detail;     // allowlist: the DNS policy's report line
};

[[nodiscard]] NetworkView network_view(const SandboxPolicy& policy);

// network.allow entries: "host", "host:port", "*.example.com[:port]" (any depth of subdomain,
// not the domain itself), an IP ("10.1.2.3", "[2001:db8::1]:443") or a CIDR ("10.0.0.0/8:443",
// "[fd00::/8]:443"). No port means 80 and 443. Names are compared lower-case, without a final dot.
[[nodiscard]] Result<HostPort> parse_allow_entry(std::string_view entry);
[[nodiscard]] std::string to_string(const HostPort& entry);

}  // namespace kavach
