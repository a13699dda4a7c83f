// Test helpers for network modes: a plain HTTP server on this host's 127.0.0.1, and a python3
// client that fetches URLs (through HTTP_PROXY when the sandbox sets it) and prints one line each.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace kavach::testing_net {

// A plain HTTP server on 127.0.0.1 of the host: answers every request with its request line.
class LocalHttpServer {
 public:
  LocalHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) ::close(c);
          return;
        }
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          req.append(buf, static_cast<std::size_t>(n));
        }
        ++requests_;
        const std::string body = "served: " + req.substr(0, req.find("\r\n")) + "\n";
        const std::string resp = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nContent-Type: text/plain\r\n\r\n" + body;
        (void)::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~LocalHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int requests() const { return requests_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// python3 -c kFetch URL...: "OK <body>", "HTTP <code> <body>" or "ERR <exception>" per URL.
inline constexpr const char* kFetch = R"(
import sys, urllib.request, urllib.error
for url in sys.argv[1:]:
    try:
        print('OK', urllib.request.urlopen(url, timeout=10).read().decode().strip())
    except urllib.error.HTTPError as e:
        print('HTTP', e.code, e.read().decode().strip())
    except Exception as e:
        print('ERR', type(e).__name__)
)";

// python3 -c kLoopbackServer: serves one TCP connection on 127.0.0.1:8000 and connects to it:
// "pong", or "failed: <reason>" and exit status 3.
inline constexpr const char* kLoopbackServer = R"(
import socket, threading
def serve(s):
    c, _ = s.accept(); c.sendall(b'pong'); c.close()
try:
    s = socket.socket(); s.bind(('127.0.0.1', 8000)); s.listen()
    threading.Thread(target=serve, args=(s,)).start()
    print(socket.create_connection(('127.0.0.1', 8000), timeout=5).recv(4).decode())
except OSError as e:
    print('failed:', e.strerror); raise SystemExit(3)
)";

}  // namespace kavach::testing_net
