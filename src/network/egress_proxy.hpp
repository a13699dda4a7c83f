// kavach's egress proxy: the only way out of an allowlist sandbox. It serves a listening socket
// made inside the sandbox's network namespace (so the sandbox reaches it at 127.0.0.1) and
// connects from the host's side, only to destinations network.allow names.
//
// HTTP proxy protocol: CONNECT host:port (TLS and other tunnels; the TLS ClientHello's server
// name must be the CONNECT host) and absolute-form requests (http://host/path, forwarded in
// origin form with Connection: close). Names resolve here, never in the sandbox; a name that
// resolves to a loopback or link-local address is refused (EgressRules::forbidden_for_names).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"
#include "kavach/result.hpp"
#include "network/egress_rules.hpp"
#include "network/http_head.hpp"
#include "network/interception_ca.hpp"

namespace kavach::network {

struct EgressOptions {
  std::size_t max_connections = 64;                     // at once; more get 503
  std::chrono::milliseconds connect_timeout{10'000};    // to the destination
  std::chrono::milliseconds head_timeout{30'000};       // for the client's request head
  std::chrono::milliseconds idle_timeout{300'000};      // a tunnel with no bytes either way
  // Told each connection as it ends (the audit trail); runs on the connection's thread.
  std::function<void(const EgressConnection&)> on_connection;
  // Credential placeholders (docs/network.md): CONNECT tunnels to these hosts are opened with a
  // certificate from `ca`, each placeholder is swapped into its own header and the request is
  // re-encrypted to the destination, verified against the system's CAs (and upstream_ca_pem).
  struct Credential {
    std::string host;  // normalized name or IP
    std::uint16_t port = 443;
    HeaderSwap swap;
  };
  std::vector<Credential> credentials;
  std::shared_ptr<InterceptionCa> ca;
  std::string upstream_ca_pem;  // extra trust anchors for destinations (a private CA), PEM
};

class EgressProxy {
 public:
  // Serves `listener` (bound and listening) on its own threads until stop().
  [[nodiscard]] static Result<std::unique_ptr<EgressProxy>> start(common::UniqueFd listener, EgressRules rules,
                                                                   EgressOptions options = {});
  ~EgressProxy();
  EgressProxy(const EgressProxy&) = delete;
  EgressProxy& operator=(const EgressProxy&) = delete;

  // Connection threads not joined yet: those serving and those just ended (bounded by the
  // connections open at once, never by the connections a run has made).
  [[nodiscard]] std::size_t threads_held();

  // Ends every connection, joins every thread, returns the run's account. Idempotent.
  EgressSummary stop();

 private:
  EgressProxy(common::UniqueFd listener, EgressRules rules, EgressOptions options, common::UniqueFd stop_fd);
  void accept_loop();
  void serve(int client);
  // A tunnel to a host with credentials: TLS both ways, placeholders swapped in the request head.
  void intercept(int client, int upstream, const std::string& host, std::uint16_t port, EgressConnection& c);
  void record(EgressConnection c);

  common::UniqueFd listener_;
  EgressRules rules_;
  EgressOptions options_;
  common::UniqueFd stop_fd_;  // eventfd: readable once stop() began
  SSL_CTX* upstream_tls_ = nullptr;  // verifying client context for intercepted destinations
  std::thread acceptor_;
  std::mutex mu_;
  std::map<std::uint64_t, std::thread> workers_;  // connections being served, by id
  std::vector<std::thread> finished_;              // ended, to be joined by the acceptor or stop()
  std::uint64_t next_worker_ = 0;
  std::size_t active_ = 0;
  EgressSummary summary_;
  bool stopped_ = false;
};

}  // namespace kavach::network
