// Matching a destination against network.allow (the entries' syntax is in kavach/network.hpp).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kavach/policy.hpp"

namespace kavach::network {

struct RuleMatch {
  bool allowed = false;
  std::string rule;    // the entry that allowed it, as written by to_string(HostPort)
  std::string reason;  // why not
};

class EgressRules {
 public:
  explicit EgressRules(std::vector<HostPort> allow) : allow_(std::move(allow)) {}

  // `host` as the client named it: a DNS name (any case, maybe a final dot) or an IP literal
  // (IPv6 without brackets). Names match name entries; IP literals match IP and CIDR entries.
  [[nodiscard]] RuleMatch match(std::string_view host, std::uint16_t port) const;

  // A name that resolves to one of these would reach the host itself or its link (loopback,
  // link-local and cloud metadata, unspecified, multicast): refused, whatever the list says.
  // IP and CIDR entries are taken as written. Returns why, or nothing when the address is fine.
  [[nodiscard]] static std::optional<std::string> forbidden_for_names(const sockaddr* addr);

  [[nodiscard]] const std::vector<HostPort>& entries() const { return allow_; }

 private:
  std::vector<HostPort> allow_;
};

// Lower-case, final dot removed, brackets of an IPv6 literal removed.
[[nodiscard]] std::string normalize_host(std::string_view host);

}  // namespace kavach::network
