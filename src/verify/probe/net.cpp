#include "net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util.hpp"

namespace probe {

int tcp_connect(const std::string& ip, int port, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    close(fd);
    return -EINVAL;
  }
  int r = connect_with_timeout(fd, &sa, sizeof sa, timeout_ms);
  close(fd);
  return r;
}

std::string proxy_connect(int proxy_port, const std::string& target) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "ERR " + errname(errno);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(proxy_port));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (int r = connect_with_timeout(fd, &sa, sizeof sa, 1000); r != 0) {
    close(fd);
    return "ERR " + errname(-r);
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // connect_with_timeout left it non-blocking
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
  std::string got;
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[256];
    while (got.find("\r\n") == std::string::npos && got.size() < 512) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  const int err = errno;
  close(fd);
  if (got.empty()) return "ERR " + errname(err);
  return got.substr(0, got.find("\r\n"));
}

int udp_connect(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    close(fd);
    return -EINVAL;
  }
  int r = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? 0 : -errno;
  close(fd);
  return r;
}

namespace {
int unix_connect_addr(const sockaddr_un& sa, socklen_t len) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int r = connect_with_timeout(fd, &sa, len, 1000);
  close(fd);
  return r;
}
}  // namespace

int abstract_connect(const std::string& name) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (name.size() + 1 > sizeof sa.sun_path) return -ENAMETOOLONG;
  std::memcpy(sa.sun_path + 1, name.data(), name.size());
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return unix_connect_addr(sa, len);
}

int unix_connect(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return -ENAMETOOLONG;
  std::memcpy(sa.sun_path, path.data(), path.size());
  return unix_connect_addr(sa, sizeof sa);
}

std::vector<std::string> interfaces() {
  std::vector<std::string> out;
  if (struct if_nameindex* ni = if_nameindex()) {
    for (auto* p = ni; p->if_index != 0 && p->if_name != nullptr; ++p) out.emplace_back(p->if_name);
    if_freenameindex(ni);
    return out;
  }
  auto text = read_file("/proc/net/dev");
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto colon = line.find(':');
    if (colon != std::string::npos && line.find('|') == std::string::npos) out.push_back(trim(line.substr(0, colon)));
  }
  return out;
}

}  // namespace probe
