// The network section's one meaning (network.hpp): modes, Landlock TCP rules, proxy variables,
// and the syntax of network.allow entries.
#include "kavach/network.hpp"

#include "kavach/policy_ranges.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace kavach {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "addr/prefix" with a prefix in range for the family.
bool is_cidr(const std::string& s) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) return false;
  const std::string addr = s.substr(0, slash);
  const std::string bits = s.substr(slash + 1);
  unsigned prefix = 0;
  const auto [ptr, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (bits.empty() || ec != std::errc() || ptr != bits.data() + bits.size()) return false;
  unsigned char buf[16];
  if (::inet_pton(AF_INET, addr.c_str(), buf) == 1) return prefix <= 32;
  if (::inet_pton(AF_INET6, addr.c_str(), buf) == 1) return prefix <= 128;
  return false;
}

// A DNS name of letters, digits, '-' and '_' labels (1-63 chars each, 253 in all).
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label != 0;
}

Result<HostPort> bad_entry(std::string_view entry, const std::string& why) {
  return fail(ErrorCode::policy_value,
              "network.allow entry '" + std::string(entry) + "': " + why +
                  " (write host, host:port, *.domain[:port], an IP or a CIDR such as 10.0.0.0/8:443 or "
                  "[fd00::/8]:443; no port means 80 and 443)",
              {{"key", "network.allow"}, {"entry", std::string(entry)}});
}

}  // namespace

Result<HostPort> parse_allow_entry(std::string_view entry) {
  std::string host;
  std::string port;
  if (!entry.empty() && entry.front() == '[') {  // [IPv6] or [IPv6/prefix], maybe :port
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return bad_entry(entry, "'[' without ']'");
    host = std::string(entry.substr(1, close - 1));
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_entry(entry, "only :port may follow ']'");
      port = std::string(rest.substr(1));
      if (port.empty()) return bad_entry(entry, "empty port");
    }
  } else {
    const auto colon = entry.rfind(':');
    if (colon != std::string_view::npos && entry.find(':') != colon) {
      // Several colons and no brackets: a bare IPv6 address or CIDR, no port.
      host = std::string(entry);
    } else if (colon != std::string_view::npos) {
      host = std::string(entry.substr(0, colon));
      port = std::string(entry.substr(colon + 1));
      if (port.empty()) return bad_entry(entry, "empty port");
    } else {
      host = std::string(entry);
    }
  }
  HostPort out;
  if (!port.empty()) {
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size()) {
      return bad_entry(entry, "port '" + port + "' is not a number");
    }
    if (!check_range(ranges::allow_port, value)) {  // the one range table's message, and the value
      Error e = out_of_range_error(ranges::allow_port, "network.allow", port);
      e.context["port"] = port;
      return tl::unexpected(std::move(e));
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  host = lower(host);
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty()) return bad_entry(entry, "no host");
  if (host.find('/') != std::string::npos) {
    if (!is_cidr(host)) return bad_entry(entry, "'" + host + "' is not a CIDR (address/prefix)");
  } else if (!is_ip(host)) {
    const bool wildcard = host.rfind("*.", 0) == 0;
    const std::string_view name = wildcard ? std::string_view(host).substr(2) : std::string_view(host);
    if (!is_dns_name(name)) {
      return bad_entry(entry, "'" + host + "' is not a host name, *.domain, IP or CIDR");
    }
    if (wildcard && name.find('.') == std::string_view::npos) {
      return bad_entry(entry, "a wildcard needs a domain with a dot ('*." + std::string(name) +
                                  "' would match a whole top-level domain)");
    }
  }
  out.host = std::move(host);
  return out;
}

std::string to_string(const HostPort& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  std::string host = v6 && e.port ? "[" + e.host + "]" : e.host;
  return e.port ? host + ":" + std::to_string(*e.port) : host;
}

NetworkView network_view(const SandboxPolicy& p) {
  NetworkView v;
  v.mode = p.network.mode;
  switch (p.network.mode) {
    case NetworkMode::off:
      v.what = "no interfaces up (loopback down)";
      break;
    case NetworkMode::loopback:
      v.loopback_up = true;
      v.what = "loopback only (127.0.0.1 and ::1, TCP and UDP)";
      break;
    case NetworkMode::allowlist: {
      v.loopback_up = true;
      v.egress_proxy = true;
      std::string hosts;
      for (const HostPort& e : p.network.allow) hosts += (hosts.empty() ? "" : ", ") + to_string(e);
      v.what = "loopback and kavach's egress proxy, no route out";
      v.egress_detail = "HTTP proxy at " + std::string(kEgressProxyHost) + ":" + std::to_string(kEgressProxyPort) +
                        " (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY set) connects only to " + hosts +
                        "; CONNECT tunnels must send the same TLS server name";
      v.dns_detail = "no DNS server reachable inside; the proxy resolves listed names and refuses those "
                     "that resolve to loopback, link-local or unspecified addresses";
      const std::string url = "http://" + std::string(kEgressProxyHost) + ":" + std::to_string(kEgressProxyPort);
      for (const char* name : {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                               "npm_config_proxy", "npm_config_https_proxy"}) {
        v.env.emplace_back(name, url);
      }
      // Nothing bypasses the proxy: a direct connection has nowhere to go anyway.
      v.env.emplace_back("NO_PROXY", "");
      v.env.emplace_back("no_proxy", "");
      break;
    }
    case NetworkMode::host:
      v.own_namespace = false;
      v.what = "the host's network (network.mode = \"host\"): every address the host reaches";
      break;
  }
  const LandlockPolicy& ll = p.landlock;
  const bool listed = !ll.tcp_bind.empty() || !ll.tcp_connect.empty();
  if (!ll.enabled || !ll.restrict_tcp) {
    v.landlock_tcp_detail = "not requested";
  } else if (p.network.mode != NetworkMode::off && !listed) {
    v.landlock_tcp_detail = "no TCP ports listed (landlock.tcp_bind, landlock.tcp_connect): TCP is not restricted "
                            "by Landlock in network mode " + std::string(to_string(p.network.mode));
  } else {
    TcpPortRules rules{ll.tcp_bind, ll.tcp_connect};
    if (v.egress_proxy && std::find(rules.connect.begin(), rules.connect.end(), kEgressProxyPort) == rules.connect.end()) {
      rules.connect.push_back(kEgressProxyPort);
    }
    v.landlock_tcp = std::move(rules);
  }
  return v;
}

}  // namespace kavach
