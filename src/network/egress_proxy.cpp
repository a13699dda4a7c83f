#include "network/egress_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "network/http_head.hpp"
#include "network/tls_sni.hpp"

namespace kavach::network {
namespace {

using Clock = std::chrono::steady_clock;
using common::UniqueFd;

constexpr std::size_t kRelayChunk = std::size_t{64} * 1024;
constexpr std::size_t kMaxKeptRecords = 1000;
constexpr std::chrono::milliseconds kFirstBytesWait{2'000};  // a CONNECT client's first bytes (TLS hello)

// OpenSSL writes to sockets with write(): a peer that went away would raise SIGPIPE and kill
// the whole program. Every proxy thread blocks it (a write then fails with EPIPE).
void block_sigpipe() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

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

namespace {

// Reads from a TLS stream until the request head is complete (or the limits say no).
bool read_tls_head(SSL* s, std::string& buf, ProxyRequest& req, std::string& error) {
  char tmp[16 * 1024];
  for (;;) {
    const HeadStatus st = parse_proxy_head(buf, req, error);
    if (st == HeadStatus::done) return true;
    if (st == HeadStatus::bad) return false;
    const int n = SSL_read(s, tmp, sizeof tmp);
    if (n <= 0) {
      error = "the client closed the tunnel before a request";
      return false;
    }
    buf.append(tmp, static_cast<std::size_t>(n));
  }
}

bool tls_write_all(SSL* s, std::string_view data) {
  while (!data.empty()) {
    const int n = SSL_write(s, data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void tls_reply(SSL* s, int status, std::string_view phrase, const std::string& body) {
  (void)tls_write_all(s, "HTTP/1.1 " + std::to_string(status) + " " + std::string(phrase) +
                             "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body);
}

void wipe(std::string& s) {
  if (!s.empty()) ::explicit_bzero(s.data(), s.size());
  s.clear();
}

// Both ways between two TLS streams; what the client sends is checked for placeholders (a
// placeholder in a body is never swapped: the connection is cut and the reason recorded).
void relay_tls(SSL* client, SSL* upstream, int stop_fd, std::chrono::milliseconds idle,
               const std::vector<std::string>& placeholders, EgressConnection& c) {
  SSL* ends[2] = {client, upstream};
  std::string buf(kRelayChunk, '\0');
  std::string tail;  // the client's last bytes: a placeholder split across reads is still seen
  std::size_t longest = 0;
  for (const auto& p : placeholders) longest = std::max(longest, p.size());
  for (;;) {
    int side = SSL_pending(client) > 0 ? 0 : SSL_pending(upstream) > 0 ? 1 : -1;
    if (side < 0) {
      pollfd p[3] = {{SSL_get_fd(client), POLLIN, 0}, {SSL_get_fd(upstream), POLLIN, 0}, {stop_fd, POLLIN, 0}};
      const int n = ::poll(p, 3, static_cast<int>(idle.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || (p[2].revents & POLLIN) != 0) return;
      side = (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 ? 0 : 1;
    }
    const int got = SSL_read(ends[side], buf.data(), static_cast<int>(buf.size()));
    if (got <= 0) {  // one request per connection (Connection: close): either end closing ends it
      (void)SSL_shutdown(ends[1 - side]);
      return;
    }
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
    if (side == 0 && longest > 0) {
      const std::string window = tail + std::string(chunk);
      for (const auto& p : placeholders) {
        if (window.find(p) != std::string::npos) {
          c.reason = "a credential placeholder in the request body: never swapped there; the connection was cut";
          return;
        }
      }
      tail = window.size() > longest ? window.substr(window.size() - longest) : window;
    }
    if (!tls_write_all(ends[1 - side], chunk)) return;
    (side == 0 ? c.bytes_up : c.bytes_down) += static_cast<std::uint64_t>(got);
  }
}

}  // namespace

void EgressProxy::intercept(int client, int upstream, const std::string& host, std::uint16_t port,
                            EgressConnection& c) {
  std::vector<HeaderSwap> swaps;
  std::vector<std::string> placeholders;
  for (const auto& cr : options_.credentials) {
    if (cr.host == host && cr.port == port) swaps.push_back(cr.swap);
  }
  for (const auto& cr : options_.credentials) placeholders.push_back(cr.swap.placeholder);
  auto ctx = options_.ca ? options_.ca->server_context(host) : Result<SSL_CTX*>(tl::unexpected(Error{}));
  if (!ctx || upstream_tls_ == nullptr) {
    c.allowed = false;
    c.reason = "no certificate for " + host + (ctx ? std::string() : ": " + ctx.error().message);
    return;
  }
  if (!send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n")) return;
  std::unique_ptr<SSL, decltype(&SSL_free)> cs(SSL_new(*ctx), &SSL_free);
  SSL_set_fd(cs.get(), client);
  if (SSL_accept(cs.get()) != 1) {
    ERR_clear_error();
    c.reason = "the client did not accept kavach's certificate for " + host +
               " (does it trust the run's CA bundle?)";
    return;
  }
  if (const char* sni = SSL_get_servername(cs.get(), TLSEXT_NAMETYPE_host_name); sni != nullptr) {
    c.sni = sni;
    if (normalize_host(sni) != host) {
      c.allowed = false;
      c.reason = "the TLS server name '" + c.sni + "' is not the CONNECT host " + host;
      return;
    }
  }
  std::string head;
  ProxyRequest req;
  std::string error;
  if (!read_tls_head(cs.get(), head, req, error)) {
    c.reason = error;
    return;
  }
  std::string violation;
  std::vector<std::string> swapped;
  auto out = swap_placeholders(head, swaps, violation, swapped);
  if (!out) {
    c.allowed = false;
    c.reason = violation + "; the request was not sent";
    tls_reply(cs.get(), 403, "Forbidden", refusal_body(c));
    wipe(head);
    return;
  }
  std::sort(swapped.begin(), swapped.end());
  swapped.erase(std::unique(swapped.begin(), swapped.end()), swapped.end());
  for (const auto& n : swapped) c.credential += (c.credential.empty() ? "" : ",") + n;
  c.method = req.method;
  const std::string body_start = head.substr(req.head_bytes);
  for (const auto& p : placeholders) {
    if (body_start.find(p) != std::string::npos) {
      c.reason = "a credential placeholder in the request body: never swapped there; the request was not sent";
      c.allowed = false;
      tls_reply(cs.get(), 403, "Forbidden", refusal_body(c));
      wipe(*out);
      wipe(head);
      return;
    }
  }
  *out += body_start;
  // Only now the destination: a refused request never opens TLS to it.
  std::unique_ptr<SSL, decltype(&SSL_free)> us(SSL_new(upstream_tls_), &SSL_free);
  SSL_set_fd(us.get(), upstream);
  X509_VERIFY_PARAM* vp = SSL_get0_param(us.get());
  if (is_ip_literal(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(vp, host.c_str());
  } else {
    SSL_set_tlsext_host_name(us.get(), host.c_str());
    X509_VERIFY_PARAM_set1_host(vp, host.c_str(), 0);
  }
  if (SSL_connect(us.get()) != 1) {
    const long verify = SSL_get_verify_result(us.get());
    ERR_clear_error();
    c.reason = "TLS to " + host + " failed" +
               (verify != X509_V_OK ? std::string(": ") + X509_verify_cert_error_string(verify) : std::string());
    tls_reply(cs.get(), 502, "Bad Gateway", refusal_body(c));
    wipe(*out);
    wipe(head);
    return;
  }
  const bool sent = tls_write_all(us.get(), *out);
  c.bytes_up += out->size();
  wipe(*out);
  wipe(head);
  if (!sent) return;
  relay_tls(cs.get(), us.get(), stop_fd_.get(), options_.idle_timeout, placeholders, c);
  (void)SSL_shutdown(cs.get());
  ERR_clear_error();
}

Result<std::unique_ptr<EgressProxy>> EgressProxy::start(UniqueFd listener, EgressRules rules, EgressOptions options) {
  UniqueFd stop_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd) return fail(ErrorCode::io_error, std::string("eventfd: ") + std::strerror(errno));
  std::unique_ptr<EgressProxy> p(
      new EgressProxy(std::move(listener), std::move(rules), std::move(options), std::move(stop_fd)));
  p->summary_.active = true;
  if (!p->options_.credentials.empty()) {
    // Destinations of intercepted tunnels are verified like any TLS client would: the system's
    // CAs, plus the extra anchors the caller names (a private CA).
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr || SSL_CTX_set_default_verify_paths(ctx) != 1 ||
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
      SSL_CTX_free(ctx);
      return fail(ErrorCode::io_error, "cannot set up TLS for the egress proxy's destinations");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!p->options_.upstream_ca_pem.empty()) {
      BIO* mem = BIO_new_mem_buf(p->options_.upstream_ca_pem.data(), static_cast<int>(p->options_.upstream_ca_pem.size()));
      int added = 0;
      while (X509* x = PEM_read_bio_X509(mem, nullptr, nullptr, nullptr)) {
        added += X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x);
        X509_free(x);
      }
      BIO_free(mem);
      ERR_clear_error();
      if (added == 0) {
        SSL_CTX_free(ctx);
        return fail(ErrorCode::invalid_argument, "the extra CA for egress destinations holds no PEM certificate");
      }
    }
    p->upstream_tls_ = ctx;
  }
  p->acceptor_ = std::thread([raw = p.get()] { raw->accept_loop(); });
  return p;
}

EgressProxy::EgressProxy(UniqueFd listener, EgressRules rules, EgressOptions options, UniqueFd stop_fd)
    : listener_(std::move(listener)), rules_(std::move(rules)), options_(std::move(options)),
      stop_fd_(std::move(stop_fd)) {}

EgressProxy::~EgressProxy() {
  (void)stop();
  for (auto& c : options_.credentials) ::explicit_bzero(c.swap.value.data(), c.swap.value.size());
  SSL_CTX_free(upstream_tls_);
}

void EgressProxy::accept_loop() {
  block_sigpipe();  // inherited by the connection threads started here
  for (;;) {
    if (wait_readable(listener_.get(), stop_fd_.get(), std::chrono::milliseconds(-1)) < 0) return;
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::vector<std::thread> finished;
    {
      const std::lock_guard<std::mutex> lock(mu_);
      // Connections that ended are joined here, so a run that opens many in turn holds the
      // threads of the open ones only (the sandbox cannot pile up threads in kavach).
      finished.swap(finished_);
      if (stopped_ || active_ >= options_.max_connections) {
        if (!stopped_) reply(fd, 503, "Service Unavailable", "kavach: too many connections through the egress proxy\n");
        ::close(fd);
      } else {
        ++active_;
        const std::uint64_t id = next_worker_++;
        workers_.emplace(id, std::thread([this, fd, id] {
                           serve(fd);
                           ::close(fd);
                           const std::lock_guard<std::mutex> done(mu_);
                           --active_;
                           auto it = workers_.find(id);
                           if (it != workers_.end()) {  // stop() may have taken them all to join
                             finished_.push_back(std::move(it->second));
                             workers_.erase(it);
                           }
                         }));
      }
    }
    for (auto& t : finished) t.join();
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
    } else if (t.rfind('/', 0) == 0 && !req.host_header.empty()) {
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
    for (const auto& cr : options_.credentials) {
      if (cr.host == to.host && cr.port == to.port) {
        intercept(client, up.fd.get(), to.host, to.port, c);
        return finish();
      }
    }
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
    for (const auto& cr : options_.credentials) {  // placeholders go out only inside their header over TLS
      if (buf.find(cr.swap.placeholder) != std::string::npos) {
        return refuse(403, "Forbidden",
                      "the placeholder of " + cr.swap.name + " in a plain-HTTP request: never swapped or sent");
      }
    }
    first = rewrite_for_origin(buf, origin_target) + first;
  }
  if (!first.empty()) {
    if (!send_all(up.fd.get(), first)) return finish();
    c.bytes_up += first.size();
  }
  relay(client, up.fd.get(), stop_fd_.get(), options_.idle_timeout, c);
  finish();
}

std::size_t EgressProxy::threads_held() {
  const std::lock_guard<std::mutex> lock(mu_);
  return workers_.size() + finished_.size();
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
    for (auto& [id, t] : workers_) workers.push_back(std::move(t));
    workers_.clear();
    for (auto& t : finished_) workers.push_back(std::move(t));
    finished_.clear();
  }
  for (auto& t : workers) t.join();  // a worker whose entry was taken here parks nothing
  const std::lock_guard<std::mutex> lock(mu_);
  return summary_;
}

}  // namespace kavach::network
