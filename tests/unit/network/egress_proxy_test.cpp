// The egress proxy against a local upstream, all on 127.0.0.1 of this host: what is listed gets
// through (plain HTTP and CONNECT tunnels), what is not is refused with a reason and recorded.
#include "network/egress_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "kavach/network.hpp"
#include "loopback_listener.hpp"

namespace kavach::network {
namespace {

using common::UniqueFd;


// Answers every connection with "echo:" and the first bytes it got, then closes.
class EchoServer {
 public:
  EchoServer() : fd_(listen_loopback(port_)) {
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_.get(), nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        char buf[4096];
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        const std::string reply = "echo:" + std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    ::shutdown(fd_.get(), SHUT_RDWR);
    thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_ = 0;
  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Proxy {
  std::uint16_t port = 0;
  std::unique_ptr<EgressProxy> proxy;
  std::vector<EgressConnection> told;
  std::mutex mu;

  explicit Proxy(std::vector<HostPort> allow) {
    EgressOptions o;
    o.on_connection = [this](const EgressConnection& c) {
      const std::lock_guard<std::mutex> lock(mu);
      told.push_back(c);
    };
    auto p = EgressProxy::start(listen_loopback(port), EgressRules(std::move(allow)), o);
    EXPECT_TRUE(p.has_value());
    proxy = std::move(*p);
  }
};

// Sends `first`, then `then` once the proxy answered (a tunnel's bytes), reads until EOF.
std::string ask_proxy(std::uint16_t port, const std::string& first, const std::string& then = {}) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  timeval tv{5, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "connect failed";
  (void)::send(s.get(), first.data(), first.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  bool sent_then = then.empty();
  for (;;) {
    const ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (!sent_then && out.find("\r\n\r\n") != std::string::npos) {
      (void)::send(s.get(), then.data(), then.size(), MSG_NOSIGNAL);
      sent_then = true;
    }
  }
  return out;
}

std::string client_hello(const char* sni) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), BIO_new(BIO_s_mem()), out);
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl.get(), sni);
  (void)SSL_connect(ssl.get());
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

HostPort entry(const std::string& text) {
  auto e = parse_allow_entry(text);
  EXPECT_TRUE(e.has_value()) << text;
  return *e;
}

TEST(EgressProxy, ForwardsAListedHttpRequestInOriginForm) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry(dest)});
  const std::string got = ask_proxy(p.port, "GET http://" + dest + "/simple/?q=1 HTTP/1.1\r\nHost: " + dest +
                                               "\r\nProxy-Connection: keep-alive\r\n\r\n");
  EXPECT_EQ(got.rfind("echo:GET /simple/?q=1 HTTP/1.1\r\n", 0), 0u) << got;
  EXPECT_EQ(got.find("Proxy-Connection"), std::string::npos) << got;
  const EgressSummary s = p.proxy->stop();
  EXPECT_TRUE(s.active);
  EXPECT_EQ(s.allowed, 1u);
  EXPECT_EQ(s.denied, 0u);
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_EQ(s.connections[0].method, "GET");
  EXPECT_EQ(s.connections[0].rule, dest);
  EXPECT_GT(s.connections[0].bytes_up, 0u);
  EXPECT_EQ(s.connections[0].bytes_down, got.size());
  ASSERT_EQ(p.told.size(), 1u);  // the audit trail hears of it as it ends
  EXPECT_EQ(p.told[0].host, "127.0.0.1");
}

// The negative control of the test above: the same request without its entry is refused.
TEST(EgressProxy, RefusesWhatIsNotListedAndSaysWhy) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry("127.0.0.1:1")});
  const std::string got = ask_proxy(p.port, "GET http://" + dest + "/ HTTP/1.1\r\nHost: " + dest + "\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("not in the allow-list"), std::string::npos) << got;
  EXPECT_EQ(got.find("echo:"), std::string::npos) << got;
  const EgressSummary s = p.proxy->stop();
  EXPECT_EQ(s.denied, 1u);
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_FALSE(s.connections[0].allowed);
  EXPECT_EQ(s.connections[0].port, up.port());
  EXPECT_EQ(s.connections[0].bytes_up, 0u);
}

TEST(EgressProxy, TunnelsAListedConnect) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry(dest)});
  const std::string got = ask_proxy(p.port, "CONNECT " + dest + " HTTP/1.1\r\nHost: " + dest + "\r\n\r\n", "ping");
  EXPECT_EQ(got, "HTTP/1.1 200 Connection established\r\n\r\necho:ping");
  const EgressSummary s = p.proxy->stop();
  ASSERT_EQ(s.connections.size(), 1u);
  EXPECT_TRUE(s.connections[0].allowed);
  EXPECT_EQ(s.connections[0].bytes_up, 4u);
  EXPECT_EQ(s.connections[0].bytes_down, 9u);
}

TEST(EgressProxy, ATunnelsServerNameMustBeItsHost) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry(dest)});
  const std::string fronted = ask_proxy(p.port, "CONNECT " + dest + " HTTP/1.1\r\n\r\n", client_hello("evil.example"));
  EXPECT_EQ(fronted, "HTTP/1.1 200 Connection established\r\n\r\n");  // then closed: nothing came back
  // Negative control: the same hello without a name goes through.
  const std::string plain = ask_proxy(p.port, "CONNECT " + dest + " HTTP/1.1\r\n\r\n", client_hello(nullptr));
  EXPECT_NE(plain.find("echo:\x16\x03"), std::string::npos);
  const EgressSummary s = p.proxy->stop();
  ASSERT_EQ(s.connections.size(), 2u);
  const EgressConnection& refused = s.connections[0].allowed ? s.connections[1] : s.connections[0];
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.sni, "evil.example");
  EXPECT_NE(refused.reason.find("TLS server name 'evil.example'"), std::string::npos) << refused.reason;
  EXPECT_EQ(refused.bytes_up, 0u);
  EXPECT_EQ(s.allowed, 1u);
  EXPECT_EQ(s.denied, 1u);
}

TEST(EgressProxy, AHostFieldThatNamesAnotherHostIsRefused) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry(dest)});
  const std::string got = ask_proxy(p.port, "GET http://" + dest + "/ HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Host field names 'evil.example'"), std::string::npos) << got;
}

TEST(EgressProxy, ANameMayNotLeadBackToTheHost) {
  EchoServer up;
  Proxy p({entry("localhost:" + std::to_string(up.port()))});
  const std::string got = ask_proxy(p.port, "CONNECT localhost:" + std::to_string(up.port()) + " HTTP/1.1\r\n\r\n", "x");
  EXPECT_EQ(got.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("loopback"), std::string::npos) << got;
  EXPECT_EQ(got.find("echo:"), std::string::npos) << got;
}

TEST(EgressProxy, HttpsUrlsAndGarbageAreRefused) {
  Proxy p({entry("pypi.org")});
  EXPECT_EQ(ask_proxy(p.port, "GET https://pypi.org/ HTTP/1.1\r\nHost: pypi.org\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(ask_proxy(p.port, "CONNECT pypi.org HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);  // no port
  EXPECT_EQ(ask_proxy(p.port, "\x16\x03\x01 not http\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  const EgressSummary s = p.proxy->stop();
  EXPECT_EQ(s.denied, 3u);
  EXPECT_EQ(s.allowed, 0u);
}

// A sandbox that opens connection after connection holds kavach threads only for the open ones.
TEST(EgressProxy, EndedConnectionsDoNotPileUpThreads) {
  EchoServer up;
  const std::string dest = "127.0.0.1:" + std::to_string(up.port());
  Proxy p({entry(dest)});
  for (int i = 0; i < 200; ++i) {
    (void)ask_proxy(p.port, "GET http://" + dest + "/ HTTP/1.1\r\nHost: " + dest + "\r\n\r\n");
  }
  EXPECT_LE(p.proxy->threads_held(), 3u) << "threads of ended connections were kept";
  EXPECT_EQ(p.proxy->stop().allowed, 200u);
}

TEST(EgressProxy, StopEndsOpenTunnelsAndIsIdempotent) {
  std::uint16_t port = 0;
  UniqueFd idle_upstream = listen_loopback(port);  // accepts (backlog) and never answers
  Proxy p({entry("127.0.0.1:" + std::to_string(port))});
  std::thread client([&] { (void)ask_proxy(p.port, "CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\n\r\n"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const EgressSummary s = p.proxy->stop();
  client.join();
  EXPECT_EQ(s.allowed, 1u);
  EXPECT_EQ(p.proxy->stop().allowed, 1u);
}

}  // namespace
}  // namespace kavach::network
