#include "network/egress_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "network/http_head.hpp"
#include "network/tls_sni.hpp"

namespace kavach::network {
namespace {

using Clock = std::chrono::steady_clock;
using common::UniqueFd;

constexpr std::size_t kRelayChunk = 64 * 1024;
constexpr std::size_t kMaxKeptRecords = 1000;
constexpr std::chrono::milliseconds kFirstBytesWait{2'000};  // a CONNECT client's first bytes (TLS hello)

// 1: readable; 0: timed out; -1: stop requested or poll failed.
int wait_readable(int fd, int stop_fd, std::chrono::milliseconds timeout) {
  pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (;;) {
    const int n = ::poll(p, 2, static_cast<int>(timeout.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (p[1].revents & POLLIN) != 0) return -1;
    return n == 0 ? 0 : 1;
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads what is there (at most `max`) and appends it. false on EOF or error.
bool read_some(int fd, std::string& buf, std::size_t max) {
  char tmp[16 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd, tmp, std::min(sizeof tmp, max), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
}

void reply(int client, int status, std::string_view phrase, const std::string& body) {
  (void)send_all(client, "HTTP/1.1 " + std::to_string(status) + " " + std::string(phrase) +
                             "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body);
}

struct Authority {
  std::string host;
  std::uint16_t port = 0;
  bool ok = false;
};

// "host:port", "[v6]:port", "host" (default port).
Authority split_authority(std::string_view a, std::uint16_t default_port) {
  Authority out;
  std::string_view host = a;
  std::string_view port;
  if (!a.empty() && a.front() == '[') {
    const auto close = a.find(']');
    if (close == std::string_view::npos) return out;
    host = a.substr(1, close - 1);
    if (close + 1 < a.size()) {
      if (a[close + 1] != ':') return out;
      port = a.substr(close + 2);
    }
  } else if (const auto colon = a.rfind(':'); colon != std::string_view::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of("/@ \t") != std::string_view::npos) return out;
  unsigned value = default_port;
  if (!port.empty()) {
    value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return out;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
  }
  if (value == 0 || value > 65535) return out;
  out.host = normalize_host(host);
  out.port = static_cast<std::uint16_t>(value);
  out.ok = true;
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

struct Dialed {
  UniqueFd fd;
  bool refused = false;  // only addresses a name may not reach: a policy refusal, not a failure
  std::string error;
};

Dialed dial(const std::string& host, std::uint16_t port, bool named, std::chrono::milliseconds timeout,
            int stop_fd) {
  Dialed out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (named ? 0 : AI_NUMERICHOST);
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    out.error = "cannot resolve " + host + ": " + ::gai_strerror(rc);
    return out;
  }
  std::string forbidden;
  std::string last_error = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (named) {
      if (auto why = EgressRules::forbidden_for_names(ai->ai_addr)) {
        forbidden = *why;
        continue;
      }
    }
    UniqueFd s(::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s) {
      last_error = std::strerror(errno);
      continue;
    }
    int err = 0;
    if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p[2] = {{s.get(), POLLOUT, 0}, {stop_fd, POLLIN, 0}};
        const int n = ::poll(p, 2, static_cast<int>(timeout.count()));
        socklen_t len = sizeof err;
        if (n <= 0 || (p[1].revents & POLLIN) != 0) {
          err = ETIMEDOUT;
        } else if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    if (err != 0) {
      last_error = std::strerror(err);
      continue;
    }
    const int flags = ::fcntl(s.get(), F_GETFL);
    (void)::fcntl(s.get(), F_SETFL, flags & ~O_NONBLOCK);
    out.fd = std::move(s);
    break;
  }
  ::freeaddrinfo(res);
  if (!out.fd) {
    if (!forbidden.empty() && last_error == "no address") {
      out.refused = true;
      out.error = host + " resolves to " + forbidden + ", which names may not reach";
    } else {
      out.error = "cannot connect to " + host + ":" + service + ": " + last_error;
    }
  }
  return out;
}

// Copies both ways until both sides closed, the tunnel idles out, or stop.
void relay(int client, int upstream, int stop_fd, std::chrono::milliseconds idle, EgressConnection& c) {
  pollfd p[3] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  bool open[2] = {true, true};
  std::string buf(kRelayChunk, '\0');
  while (open[0] || open[1]) {
    p[0].fd = open[0] ? client : -1;
    p[1].fd = open[1] ? upstream : -1;
    const int n = ::poll(p, 3, static_cast<int>(idle.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || (p[2].revents & POLLIN) != 0) return;
    for (int side = 0; side < 2; ++side) {
      if (!open[side] || (p[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int from = side == 0 ? client : upstream;
      const int to = side == 0 ? upstream : client;
      const ssize_t got = ::recv(from, buf.data(), buf.size(), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        open[side] = false;
        (void)::shutdown(to, SHUT_WR);
        if (got < 0) return;
        continue;
      }
      if (!send_all(to, std::string_view(buf.data(), static_cast<std::size_t>(got)))) return;
      (side == 0 ? c.bytes_up : c.bytes_down) += static_cast<std::uint64_t>(got);
    }
  }
}

std::string refusal_body(const EgressConnection& c) {
  return "kavach: egress to " + c.host + ":" + std::to_string(c.port) + " refused: " + c.reason +
         " (the sandbox's network.allow decides where it may connect)\n";
}

}  // namespace

Result<std::unique_ptr<EgressProxy>> EgressProxy::start(UniqueFd listener, EgressRules rules, EgressOptions options) {
  UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd) return fail(ErrorCode::io_error, std::string("eventfd: ") + std::strerror(errno));
  std::unique_ptr<EgressProxy> p(
      new EgressProxy(std::move(listener), std::move(rules), std::move(options), std::move(stop_fd)));
  p->summary_.active = true;
  p->acceptor_ = std::thread([raw = p.get()] { raw->accept_loop(); });
  return p;
}

EgressProxy::EgressProxy(UniqueFd listener, EgressRules rules, EgressOptions options, UniqueFd stop_fd)
    : listener_(std::move(listener)), rules_(std::move(rules)), options_(std::move(options)),
      stop_fd_(std::move(stop_fd)) {}

EgressProxy::~EgressProxy() { (void)stop(); }

void EgressProxy::accept_loop() {
  for (;;) {
    if (wait_readable(listener_.get(), stop_fd_.get(), std::chrono::milliseconds(-1)) < 0) return;
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::lock_guard<std::mutex> lock(mu_);
    if (stopped_ || active_ >= options_.max_connections) {
      if (!stopped_) reply(fd, 503, "Service Unavailable", "kavach: too many connections through the egress proxy\n");
      ::close(fd);
      continue;
    }
    ++active_;
    workers_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
      const std::lock_guard<std::mutex> done(mu_);
      --active_;
    });
  }
}

void EgressProxy::record(EgressConnection c) {
  if (options_.on_connection) options_.on_connection(c);
  const std::lock_guard<std::mutex> lock(mu_);
  (c.allowed ? summary_.allowed : summary_.denied) += 1;
  summary_.bytes_up += c.bytes_up;
  summary_.bytes_down += c.bytes_down;
  if (summary_.connections.size() < kMaxKeptRecords) {
    summary_.connections.push_back(std::move(c));
  } else {
    ++summary_.dropped_records;
  }
}

void EgressProxy::serve(int client) {
  const auto t0 = Clock::now();
  EgressConnection c;
  auto finish = [&] {
    c.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    record(std::move(c));
  };
  auto refuse = [&](int status, std::string_view phrase, std::string reason) {
    c.allowed = false;
    c.reason = std::move(reason);
    reply(client, status, phrase, refusal_body(c));
    finish();
  };

  // 1. The request head.
  std::string buf;
  ProxyRequest req;
  for (;;) {
    std::string error;
    const HeadStatus st = parse_proxy_head(buf, req, error);
    if (st == HeadStatus::done) break;
    if (st == HeadStatus::bad) {
      c.method = "?";
      return refuse(400, "Bad Request", error);
    }
    if (wait_readable(client, stop_fd_.get(), options_.head_timeout) <= 0) return;
    if (!read_some(client, buf, kMaxHeadBytes - buf.size() + 1)) return;  // closed before asking
  }
  c.method = req.method;

  // 2. Where to: the CONNECT authority, or the absolute URL (its Host field must agree).
  const bool tunnel = req.method == "CONNECT";
  Authority to;
  std::string origin_target;
  if (tunnel) {
    to = split_authority(req.target, 0);
    c.host = to.ok ? to.host : req.target;
    if (!to.ok) return refuse(400, "Bad Request", "CONNECT needs host:port, got '" + req.target + "'");
  } else {
    const std::string_view t = req.target;
    if (t.rfind("http://", 0) == 0) {
      const std::string_view rest = t.substr(7);
      const auto end = rest.find_first_of("/?#");
      to = split_authority(rest.substr(0, end), 80);
      origin_target = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
      if (!origin_target.empty() && origin_target.front() != '/') origin_target.insert(0, "/");
    } else if (t.rfind("/", 0) == 0 && !req.host_header.empty()) {
      to = split_authority(req.host_header, 80);
      origin_target = req.target;
    }
    c.host = to.ok ? to.host : req.target;
    if (!to.ok) {
      return refuse(400, "Bad Request",
                    t.rfind("https://", 0) == 0 ? "https URLs go through CONNECT; set HTTPS_PROXY"
                                                : "cannot tell the destination from '" + req.target + "'");
    }
    if (!req.host_header.empty()) {
      const Authority named = split_authority(req.host_header, 80);
      if (!named.ok || named.host != to.host) {
        return refuse(400, "Bad Request",
                      "the Host field names '" + req.host_header + "' but the request goes to " + to.host);
      }
    }
  }
  c.port = to.port;

  // 3. The allow-list, then the address the name resolves to.
  const RuleMatch m = rules_.match(to.host, to.port);
  if (!m.allowed) return refuse(403, "Forbidden", m.reason);
  c.rule = m.rule;
  Dialed up = dial(to.host, to.port, !is_ip_literal(to.host), options_.connect_timeout, stop_fd_.get());
  if (!up.fd) {
    if (up.refused) return refuse(403, "Forbidden", up.error);
    c.allowed = true;
    c.reason = up.error;
    reply(client, 502, "Bad Gateway", refusal_body(c));
    return finish();
  }
  timeval tv{30, 0};  // a peer that stops reading does not hold a thread forever
  (void)::setsockopt(up.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  (void)::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  c.allowed = true;

  std::string first = buf.substr(req.head_bytes);
  if (tunnel) {
    if (!send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n")) return finish();
    // A TLS client's first record is its ClientHello: the server name in it must be the host
    // it asked the tunnel for (or a name-fronting client could reach another site).
    if (first.empty() && wait_readable(client, stop_fd_.get(), kFirstBytesWait) > 0) {
      (void)read_some(client, first, kRelayChunk);
    }
    const auto deadline = Clock::now() + options_.head_timeout;
    while (first.size() < 5 && !first.empty() && static_cast<unsigned char>(first[0]) == 0x16 &&
           Clock::now() < deadline && wait_readable(client, stop_fd_.get(), options_.head_timeout) > 0 &&
           read_some(client, first, kRelayChunk)) {
    }
    if (const std::size_t need = tls_record_size(first); need != 0) {
      while (first.size() < need && need <= 5 + 16 * 1024 + 256 && Clock::now() < deadline &&
             wait_readable(client, stop_fd_.get(), options_.head_timeout) > 0 && read_some(client, first, need - first.size())) {
      }
      const ClientHelloInfo hello = read_client_hello(std::string_view(first).substr(0, need));
      if (hello.sni) {
        c.sni = *hello.sni;
        if (normalize_host(*hello.sni) != to.host) {
          c.allowed = false;
          c.reason = "the TLS server name '" + *hello.sni + "' is not the CONNECT host " + to.host;
          return finish();  // the tunnel is already open: closing it is the refusal
        }
      }
    }
  } else {
    first = rewrite_for_origin(buf, origin_target) + first;
  }
  if (!first.empty()) {
    if (!send_all(up.fd.get(), first)) return finish();
    c.bytes_up += first.size();
  }
  relay(client, up.fd.get(), stop_fd_.get(), options_.idle_timeout, c);
  finish();
}

EgressSummary EgressProxy::stop() {
  {
    const std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return summary_;
    stopped_ = true;
  }
  const std::uint64_t one = 1;
  (void)::write(stop_fd_.get(), &one, sizeof one);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    const std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  const std::lock_guard<std::mutex> lock(mu_);
  return summary_;
}

}  // namespace kavach::network
