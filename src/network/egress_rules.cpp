#include "network/egress_rules.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "kavach/network.hpp"

namespace kavach::network {
namespace {

struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
};

std::optional<Address> parse_ip(const std::string& s) {
  Address a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

bool prefix_equal(const Address& a, const Address& b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

bool port_matches(const HostPort& e, std::uint16_t port) {
  return e.port ? *e.port == port : (port == 80 || port == 443);
}

bool ip_matches(const std::string& entry, const Address& dest) {
  const auto slash = entry.find('/');
  if (slash == std::string::npos) {
    const auto a = parse_ip(entry);
    return a && a->family == dest.family && a->bytes == dest.bytes;
  }
  const auto net = parse_ip(entry.substr(0, slash));
  unsigned bits = 0;
  const std::string b = entry.substr(slash + 1);
  (void)std::from_chars(b.data(), b.data() + b.size(), bits);
  return net && net->family == dest.family && prefix_equal(*net, dest, bits);
}

bool name_matches(const std::string& entry, const std::string& host) {
  if (entry.rfind("*.", 0) == 0) {
    const std::string_view suffix = std::string_view(entry).substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  return entry == host;
}

std::optional<std::string> forbidden_v4(const unsigned char* b) {
  if (b[0] == 127) return "a loopback address";
  if (b[0] == 0) return "an unspecified address";
  if (b[0] == 169 && b[1] == 254) return "a link-local address (cloud metadata lives there)";
  if (b[0] >= 224) return "a multicast or reserved address";
  return std::nullopt;
}

}  // namespace

std::string normalize_host(std::string_view host) {
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  std::transform(h.begin(), h.end(), h.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  if (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

RuleMatch EgressRules::match(std::string_view raw_host, std::uint16_t port) const {
  const std::string host = normalize_host(raw_host);
  const auto ip = parse_ip(host);
  bool host_listed = false;
  for (const HostPort& e : allow_) {
    const bool entry_is_ip = parse_ip(e.host).has_value() || e.host.find('/') != std::string::npos;
    const bool host_ok = ip ? entry_is_ip && ip_matches(e.host, *ip) : !entry_is_ip && name_matches(e.host, host);
    if (!host_ok) continue;
    host_listed = true;
    if (port_matches(e, port)) return {true, to_string(e), {}};
  }
  RuleMatch m;
  m.reason = host_listed ? "port " + std::to_string(port) + " of " + host + " is not in the allow-list"
                         : host + " is not in the allow-list";
  return m;
}

std::optional<std::string> EgressRules::forbidden_for_names(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return forbidden_v4(reinterpret_cast<const unsigned char*>(&in->sin_addr));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    const unsigned char* b = in6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return forbidden_v4(b + 12);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return "a loopback address";
    if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) return "an unspecified address";
    if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) return "a link-local address";
    if (b[0] == 0xff) return "a multicast address";
    return std::nullopt;
  }
  return "not an IP address";
}

}  // namespace kavach::network
