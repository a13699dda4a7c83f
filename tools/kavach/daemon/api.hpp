// The daemon's HTTP API (docs/api/openapi.yaml): routes, JSON in and out, errors as objects. The
// transport (server.cpp) hands each parsed request here with the peer's credentials and a
// Responder for the answer (whole, or a chunked stream of JSON lines for a streamed exec).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "daemon/metrics.hpp"
#include "daemon/registry.hpp"

namespace kavach::daemon {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct Peer {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

class Responder {
 public:
  virtual ~Responder() = default;
  virtual void send(int status, const std::string& content_type, std::string body) = 0;
  // A chunked response; false once the client is gone.
  virtual bool begin_stream(int status, const std::string& content_type) = 0;
  virtual bool chunk(std::string_view bytes) = 0;
  virtual void end_stream() = 0;
  // The client closed its end (checked without reading).
  virtual bool client_gone() = 0;
};

class Api {
 public:
  Api(Registry& registry, Metrics& metrics, std::string version)
      : registry_(registry), metrics_(metrics), version_(std::move(version)) {}
  void handle(const Request& req, const Peer& peer, Responder& out);
  // Status and JSON error object for a library error (also used by the transport).
  [[nodiscard]] static int http_status(ErrorCode code);
  void error(Responder& out, int status, const std::string& code, const std::string& message);
  [[nodiscard]] std::size_t connections() const { return connections_; }
  void set_connections(std::size_t n) { connections_ = n; }

 private:
  void fail_with(Responder& out, const Error& e);
  void reply(Responder& out, int status, const nlohmann::json& body);
  void create_session(const Request& req, const Peer& peer, Responder& out);
  void exec(const Request& req, SessionEntry& e, Responder& out);
  void put_file(const Request& req, SessionEntry& e, const std::string& path, Responder& out);
  void get_file(SessionEntry& e, const std::string& path, Responder& out);
  [[nodiscard]] nlohmann::json describe(SessionEntry& e, bool with_metrics);

  Registry& registry_;
  Metrics& metrics_;
  std::string version_;
  std::size_t connections_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace kavach::daemon
