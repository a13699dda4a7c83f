// The head of a request a client sends its HTTP proxy (Boost.Beast parses it).
#pragma once

#include <cstddef>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

namespace kavach::network {

struct ProxyRequest {
  std::string method;       // "CONNECT", "GET", ...
  std::string target;       // as sent: "host:port" (CONNECT), "http://host/path" or "/path"
  std::string host_header;  // the Host field, "" when absent
  // Other methods: the head to send the origin (origin-form target, Connection: close, the
  // Proxy-* fields removed). Set by rewrite_for_origin.
  std::size_t head_bytes = 0;  // how much of the input the head took
};

enum class HeadStatus { need_more, done, bad };

// Parses the head from the bytes read so far. `error` says why on `bad` (too large, malformed).
[[nodiscard]] HeadStatus parse_proxy_head(std::string_view input, ProxyRequest& out, std::string& error);

// The same head for the origin server: target replaced by `origin_target`, Proxy-Connection,
// Proxy-Authorization and Connection dropped, Connection: close added.
[[nodiscard]] std::string rewrite_for_origin(std::string_view input, const std::string& origin_target);

inline constexpr std::size_t kMaxHeadBytes = std::size_t{32} * 1024;

// A credential placeholder the proxy replaces in one header of requests to one host.
struct HeaderSwap {
  std::string name;         // the secret's name (for reports; never its value)
  std::string header;       // the only field it may appear in, e.g. "Authorization"
  std::string placeholder;  // what the sandbox holds instead of the secret
  std::string value;        // the secret
};

// The head for the destination: each placeholder replaced by its value inside its own header,
// Connection: close. nullopt, with `violation` saying where, when a placeholder appears anywhere
// else (the request target, another field): nothing is swapped then.
[[nodiscard]] std::optional<std::string> swap_placeholders(std::string_view input, const std::vector<HeaderSwap>& swaps,
                                                           std::string& violation, std::vector<std::string>& swapped);

}  // namespace kavach::network
