// The server name a TLS client asks for (SNI), read from its ClientHello by OpenSSL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kavach::network {

struct ClientHelloInfo {
  bool is_client_hello = false;      // OpenSSL accepted the bytes as a ClientHello
  std::optional<std::string> sni;    // the host_name entry, when the client sent one
};

// `record`: the client's first TLS record(s), whole. Nothing is answered to the client.
[[nodiscard]] ClientHelloInfo read_client_hello(std::string_view record);

// Bytes of the first TLS record in `data` (header included), or 0 when `data` does not start
// with a TLS handshake record header yet.
[[nodiscard]] std::size_t tls_record_size(std::string_view data);

}  // namespace kavach::network
