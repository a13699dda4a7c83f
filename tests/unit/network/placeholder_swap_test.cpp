// Credential placeholders through the egress proxy, against a local TLS server: the secret goes
// into its header for its host only; anywhere else the request is refused or cut; the client
// holds only the placeholder and trusts only the run's CA.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>

#include "loopback_listener.hpp"
#include "network/egress_proxy.hpp"
#include "network/interception_ca.hpp"

namespace kavach::network {
namespace {

using common::UniqueFd;

constexpr const char* kPlaceholder = "kavach-placeholder-5f0c2e";
constexpr const char* kSecret = "ghp_realSecretValue0123456789";


// A TLS server on 127.0.0.1 (certificate from its own CA) that answers with the request head it got.
class EchoTlsServer {
 public:
  EchoTlsServer() : fd_(listen_loopback(port_)) {
    auto ca = InterceptionCa::generate({"127.0.0.1"});
    EXPECT_TRUE(ca.has_value());
    ca_ = *ca;
    auto ctx = ca_->server_context("127.0.0.1");
    EXPECT_TRUE(ctx.has_value());
    thread_ = std::thread([this, ctx = *ctx] {
      for (;;) {
        const int c = ::accept(fd_.get(), nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        SSL* s = SSL_new(ctx);
        SSL_set_fd(s, c);
        if (SSL_accept(s) == 1) {
          std::string head;
          char buf[4096];
          while (head.find("\r\n\r\n") == std::string::npos) {
            const int n = SSL_read(s, buf, sizeof buf);
            if (n <= 0) break;
            head.append(buf, static_cast<std::size_t>(n));
          }
          if (head.find("\r\n\r\n") != std::string::npos) ++requests_;
          const std::string resp = "HTTP/1.0 200 OK\r\n\r\n" + head;
          SSL_write(s, resp.data(), static_cast<int>(resp.size()));
          SSL_shutdown(s);
        }
        ERR_clear_error();
        SSL_free(s);
        ::close(c);
      }
    });
  }
  ~EchoTlsServer() {
    stop_ = true;
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  std::uint16_t port_ = 0;
  UniqueFd fd_;
  std::shared_ptr<InterceptionCa> ca_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// CONNECT through the proxy, then TLS trusting `trusted_pem` only, send `request`, read to EOF.
std::string https_via_proxy(std::uint16_t proxy_port, std::uint16_t port, const std::string& trusted_pem,
                            const std::string& request) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{5, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(proxy_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const std::string connect = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
  (void)::send(s.get(), connect.data(), connect.size(), MSG_NOSIGNAL);
  std::string reply;
  char c;
  while (reply.find("\r\n\r\n") == std::string::npos && ::recv(s.get(), &c, 1, 0) == 1) reply += c;
  if (reply.rfind("HTTP/1.1 200", 0) != 0) return "proxy said: " + reply;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  BIO* mem = BIO_new_mem_buf(trusted_pem.data(), static_cast<int>(trusted_pem.size()));
  X509* ca = PEM_read_bio_X509(mem, nullptr, nullptr, nullptr);
  BIO_free(mem);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca);
  X509_free(ca);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  SSL_set_fd(ssl.get(), s.get());
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  if (SSL_connect(ssl.get()) != 1) {
    ERR_clear_error();
    return "TLS failed: " + std::string(X509_verify_cert_error_string(SSL_get_verify_result(ssl.get())));
  }
  SSL_write(ssl.get(), request.data(), static_cast<int>(request.size()));
  std::string out;
  char buf[4096];
  for (;;) {
    const int n = SSL_read(ssl.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  return out;
}

struct SwapProxy {
  std::uint16_t port = 0;
  std::shared_ptr<InterceptionCa> ca;
  std::unique_ptr<EgressProxy> proxy;

  SwapProxy(const EchoTlsServer& server, std::uint16_t credential_port) {
    auto made = InterceptionCa::generate({"127.0.0.1"});
    EXPECT_TRUE(made.has_value());
    ca = *made;
    EgressOptions o;
    o.ca = ca;
    o.upstream_ca_pem = server.ca_->cert_pem();
    o.credentials.push_back({"127.0.0.1", credential_port, HeaderSwap{"GH_TOKEN", "Authorization", kPlaceholder, kSecret}});
    auto p = EgressProxy::start(listen_loopback(port),
                                EgressRules({HostPort{"127.0.0.1", server.port_}}), o);
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
    if (p) proxy = std::move(*p);
  }
};

// The test's own client writes to connections the proxy may close first.
const bool kIgnoreSigpipe = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string request(const std::string& extra) {
  return "GET /user HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

TEST(PlaceholderSwap, TheSecretGoesIntoItsHeaderForItsHostOnly) {
  EchoTlsServer server;
  SwapProxy p(server, server.port_);
  const std::string got = https_via_proxy(p.port, server.port_, p.ca->cert_pem(),
                                          request(std::string("Authorization: Bearer ") + kPlaceholder + "\r\n"));
  EXPECT_NE(got.find(std::string("Authorization: Bearer ") + kSecret), std::string::npos) << got;
  EXPECT_EQ(got.find(kPlaceholder), std::string::npos) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
  const EgressSummary s = p.proxy->stop();
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_TRUE(s.connections[0].allowed);
  EXPECT_EQ(s.connections[0].credential, "GH_TOKEN");
  EXPECT_EQ(s.connections[0].method, "GET");
}

// Negative control: the same request to a port without the credential is tunnelled untouched.
TEST(PlaceholderSwap, WithoutItsEntryThePlaceholderGoesOutAsIs) {
  EchoTlsServer server;
  SwapProxy p(server, static_cast<std::uint16_t>(server.port_ + 1));
  const std::string got = https_via_proxy(p.port, server.port_, server.ca_->cert_pem(),
                                          request(std::string("Authorization: Bearer ") + kPlaceholder + "\r\n"));
  EXPECT_NE(got.find(kPlaceholder), std::string::npos) << got;
  EXPECT_EQ(got.find(kSecret), std::string::npos) << got;
}

TEST(PlaceholderSwap, APlaceholderAnywhereElseIsRefusedAndNothingIsSent) {
  EchoTlsServer server;
  SwapProxy p(server, server.port_);
  const std::string in_field = https_via_proxy(p.port, server.port_, p.ca->cert_pem(),
                                               request(std::string("X-Debug: ") + kPlaceholder + "\r\n"));
  EXPECT_EQ(in_field.rfind("HTTP/1.1 403", 0), 0u) << in_field;
  EXPECT_NE(in_field.find("X-Debug field, not Authorization"), std::string::npos) << in_field;
  const std::string in_url = https_via_proxy(p.port, server.port_, p.ca->cert_pem(),
                                             "GET /?t=" + std::string(kPlaceholder) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(in_url.rfind("HTTP/1.1 403", 0), 0u) << in_url;
  const std::string in_body = https_via_proxy(
      p.port, server.port_, p.ca->cert_pem(),
      "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200\r\n\r\n" + std::string("token=") + kPlaceholder);
  EXPECT_EQ(in_body.find(kSecret), std::string::npos) << in_body;
  EXPECT_EQ(server.requests_, 0);  // none of the three reached the destination
  const EgressSummary s = p.proxy->stop();
  ASSERT_EQ(s.connections.size(), 3u);
  int refused = 0;
  int cut = 0;
  for (const auto& c : s.connections) {
    if (!c.allowed) ++refused;
    if (c.reason.find("request body") != std::string::npos) ++cut;
    EXPECT_EQ(c.reason.find(kSecret), std::string::npos);
  }
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(cut, 1);
}

TEST(PlaceholderSwap, AClientThatDoesNotTrustTheRunsCaGetsNothing) {
  EchoTlsServer server;
  SwapProxy p(server, server.port_);
  const std::string got = https_via_proxy(p.port, server.port_, server.ca_->cert_pem(),
                                          request(std::string("Authorization: Bearer ") + kPlaceholder + "\r\n"));
  EXPECT_EQ(got.rfind("TLS failed", 0), 0u) << got;
  EXPECT_EQ(server.requests_, 0);
}

TEST(InterceptionCa, IsConstrainedToItsHosts) {
  auto ca = InterceptionCa::generate({"api.example.com"});
  ASSERT_TRUE(ca.has_value());
  BIO* mem = BIO_new_mem_buf((*ca)->cert_pem().data(), static_cast<int>((*ca)->cert_pem().size()));
  X509* cert = PEM_read_bio_X509(mem, nullptr, nullptr, nullptr);
  BIO_free(mem);
  ASSERT_NE(cert, nullptr);
  auto* nc = static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(cert, NID_name_constraints, nullptr, nullptr));
  ASSERT_NE(nc, nullptr);
  ASSERT_EQ(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 1);
  const GENERAL_NAME* name = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 0)->base;
  ASSERT_EQ(name->type, GEN_DNS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName))), "api.example.com");
  EXPECT_EQ(X509_check_ca(cert), 1);
  NAME_CONSTRAINTS_free(nc);
  X509_free(cert);
}

}  // namespace
}  // namespace kavach::network
