#include "daemon/server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "sandbox/request_json.hpp"

namespace kavach::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Socket = asio::local::stream_protocol::socket;

class SocketResponder final : public Responder {
 public:
  SocketResponder(Socket& s, unsigned version, bool keep_alive) : s_(s), version_(version), keep_alive_(keep_alive) {}
  void send(int status, const std::string& content_type, std::string body) override {
    http::response<http::string_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::server, "kavach");
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive_);
    res.body() = std::move(body);
    res.prepare_payload();
    beast::error_code ec;
    http::write(s_, res, ec);
    if (ec) failed_ = true;
  }
  bool begin_stream(int status, const std::string& content_type) override {
    http::response<http::empty_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::server, "kavach");
    res.set(http::field::content_type, content_type);
    res.keep_alive(keep_alive_);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(s_, sr, ec);
    if (ec) failed_ = true;
    return !failed_;
  }
  bool chunk(std::string_view bytes) override {
    if (failed_ || bytes.empty()) return !failed_;
    beast::error_code ec;
    asio::write(s_, http::make_chunk(asio::buffer(bytes.data(), bytes.size())), ec);
    if (ec) failed_ = true;
    return !failed_;
  }
  void end_stream() override {
    if (failed_) return;
    beast::error_code ec;
    asio::write(s_, http::make_chunk_last(), ec);
    if (ec) failed_ = true;
  }
  bool client_gone() override {
    if (failed_) return true;
    pollfd p{s_.native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  Socket& s_;
  unsigned version_;
  bool keep_alive_;
  bool failed_ = false;
};

// After answering a request we stopped reading (too large, malformed): let the client finish
// sending before the socket closes, so it reads the answer instead of a reset (bounded).
void linger(int fd) {
  ::shutdown(fd, SHUT_WR);
  char buf[65536];
  std::size_t total = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (total < (16u << 20) && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
}

Result<int> bind_socket(const ServerOptions& o) {
  const std::string path = o.socket_path.string();
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return fail(ErrorCode::invalid_argument, "socket path must be 1-" + std::to_string(sizeof addr.sun_path - 1) +
                                                 " bytes: " + path);
  }
  std::error_code ec;
  std::filesystem::create_directories(o.socket_path.parent_path(), ec);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::io_error, std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  // A socket file left by a daemon that died: take it over only when nothing answers on it.
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      ::close(fd);
      return fail(ErrorCode::invalid_argument, path + " exists and is not a socket", {{"path", path}});
    }
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      ::close(fd);
      return fail(ErrorCode::invalid_argument, "a daemon already listens on " + path, {{"path", path}});
    }
    ::unlink(path.c_str());
  }
  const mode_t old = ::umask(0177);  // no window in which the socket is open to others
  const int b = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (b != 0 || ::listen(fd, 128) != 0) {
    const int e = errno;
    ::close(fd);
    return fail(ErrorCode::io_error, "binding " + path + ": " + std::strerror(e), {{"path", path}});
  }
  if (o.group) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *o.group) != 0 || ::chmod(path.c_str(), 0660) != 0) {
      const int e = errno;
      ::close(fd);
      return fail(ErrorCode::io_error, "giving " + path + " to its group: " + std::strerror(e), {{"path", path}});
    }
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::listen(ServerOptions options, Api& api) {
  // systemd socket activation: the listening socket is fd 3.
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid != nullptr && fds != nullptr && std::strtol(pid, nullptr, 10) == ::getpid() && std::strtol(fds, nullptr, 10) >= 1) {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return std::unique_ptr<Server>(new Server(std::move(options), api, 3, true));
  }
  auto fd = bind_socket(options);
  if (!fd) return tl::unexpected(fd.error());
  return std::unique_ptr<Server>(new Server(std::move(options), api, *fd, false));
}

Server::~Server() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (!inherited_) ::unlink(options_.socket_path.c_str());
}

bool Server::allowed(uid_t uid) const {
  return uid == 0 || uid == ::geteuid() || options_.allow_uids.count(uid) != 0;
}

void Server::stop() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
}

void Server::serve() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_) break;
      if (errno == EMFILE || errno == ENFILE) {  // out of descriptors: back off, keep serving
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      break;
    }
    timeval tv{options_.idle_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const std::size_t now = ++connections_;
    api_.set_connections(now);
    std::thread([this, fd] {
      connection(fd);
      api_.set_connections(--connections_);
    }).detach();
  }
  // Connections still open end with the sessions (destroyed by the caller); wait briefly.
  for (int i = 0; i < 100 && connections_ > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void Server::connection(int fd) {
  asio::io_context ctx;
  Socket sock(ctx);
  beast::error_code ec;
  sock.assign(asio::local::stream_protocol(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  ucred cr{};
  socklen_t len = sizeof cr;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) return;
  Peer peer{cr.uid, cr.gid, cr.pid};
  if (!allowed(cr.uid)) {
    SocketResponder r(sock, 11, false);
    api_.error(r, 403, "forbidden", "uid " + std::to_string(cr.uid) + " may not use this daemon (--allow-uid)");
    return;
  }
  if (connections_ > options_.max_connections) {
    SocketResponder r(sock, 11, false);
    api_.error(r, 503, "too_many_connections",
               "the daemon serves at most " + std::to_string(options_.max_connections) + " connections; retry later");
    return;
  }
  beast::flat_buffer buf;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_request_bytes);
    parser.header_limit(16 * 1024);
    http::read(sock, buf, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return;
    if (ec) {
      SocketResponder r(sock, 11, false);
      if (ec == http::error::body_limit) {
        api_.error(r, 413, "request_too_large",
                   "request bodies are limited to " + std::to_string(options_.max_request_bytes) + " bytes");
        linger(fd);
      } else if (ec != asio::error::would_block && ec != asio::error::timed_out) {
        api_.error(r, 400, "bad_request", "malformed HTTP request: " + ec.message());
        linger(fd);
      }
      return;
    }
    const Request req = parser.release();
    SocketResponder r(sock, req.version(), req.keep_alive());
    try {
      api_.handle(req, peer, r);
    } catch (const std::exception& e) {  // never a crash for a request: a 500 with the reason
      api_.error(r, 500, "internal", std::string("unexpected: ") + e.what());
    }
    if (r.failed() || !req.keep_alive()) return;
  }
}

}  // namespace kavach::daemon
