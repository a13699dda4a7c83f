#include "daemon/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <limits>
#include <optional>

#include "kavach/error.hpp"

namespace kavach::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Socket = asio::local::stream_protocol::socket;

Result<void> open_socket(Socket& sock, const std::filesystem::path& path) {
  beast::error_code ec;
  sock.connect(asio::local::stream_protocol::endpoint(path.string()), ec);
  if (ec) {
    return fail(ErrorCode::backend_unavailable, "kavach daemon at " + path.string() + ": " + ec.message(),
                {{"socket", path.string()}});
  }
  return {};
}

http::request<http::string_body> make_request(std::string_view method, const std::string& target,
                                              const std::string& body, const std::string& content_type) {
  http::request<http::string_body> req{http::string_to_verb(beast::string_view(method.data(), method.size())), target, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, "kavach-cli");
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

std::optional<ErrorCode> code_named(const std::string& name) {
  for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
    if (to_string(static_cast<ErrorCode>(i)) == name) return static_cast<ErrorCode>(i);
  }
  if (name == "not_found" || name == "bad_request" || name == "method_not_allowed") return ErrorCode::invalid_argument;
  if (name == "too_many_sessions" || name == "too_many_connections") return ErrorCode::backend_unavailable;
  if (name == "request_too_large") return ErrorCode::output_too_large;
  return std::nullopt;
}

}  // namespace

Error daemon_error(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string code = "internal";
  std::string message = "the daemon answered HTTP " + std::to_string(status);
  std::map<std::string, std::string> context{{"http_status", std::to_string(status)}};
  if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
    code = j["error"].value("code", code);
    message = j["error"].value("message", message);
    context["daemon_code"] = code;
  }
  auto parsed = code_named(code);
  return make_error(parsed ? *parsed : ErrorCode::io_error, message, context);
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Result<DaemonAnswer> DaemonClient::request(std::string_view method, const std::string& target, const std::string& body,
                                           const std::string& content_type) {
  asio::io_context ctx;
  Socket sock(ctx);
  if (auto o = open_socket(sock, socket_); !o) return tl::unexpected(o.error());
  beast::error_code ec;
  http::write(sock, make_request(method, target, body, content_type), ec);
  if (ec) return fail(ErrorCode::io_error, "sending to the daemon: " + ec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{4} << 30);
  http::read(sock, buf, parser, ec);
  if (ec) return fail(ErrorCode::io_error, "reading the daemon's answer: " + ec.message());
  auto res = parser.release();
  return DaemonAnswer{static_cast<int>(res.result_int()), std::move(res.body())};
}

Result<nlohmann::json> DaemonClient::call(std::string_view method, const std::string& target, const nlohmann::json& body) {
  auto a = request(method, target, body.is_null() ? std::string() : body.dump());
  if (!a) return tl::unexpected(a.error());
  if (a->status >= 400) return tl::unexpected(daemon_error(a->status, a->body));
  auto j = nlohmann::json::parse(a->body, nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::io_error, "the daemon's answer is not JSON");
  return j;
}

Result<void> DaemonClient::stream(const std::string& target, const nlohmann::json& body,
                                  const std::function<void(const nlohmann::json&)>& on_line) {
  asio::io_context ctx;
  Socket sock(ctx);
  if (auto o = open_socket(sock, socket_); !o) return tl::unexpected(o.error());
  beast::error_code ec;
  http::write(sock, make_request("POST", target, body.dump(), "application/json"), ec);
  if (ec) return fail(ErrorCode::io_error, "sending to the daemon: " + ec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // a stream: no limit of ours
  http::read_header(sock, buf, parser, ec);
  if (ec) return fail(ErrorCode::io_error, "reading the daemon's answer: " + ec.message());
  if (parser.get().result_int() >= 400) {
    http::read(sock, buf, parser, ec);
    return tl::unexpected(daemon_error(static_cast<int>(parser.get().result_int()), parser.get().body()));
  }
  std::string pending;
  auto on_chunk = [&](std::uint64_t, beast::string_view data, beast::error_code&) -> std::size_t {
    pending.append(data.data(), data.size());
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      auto j = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
      pending.erase(0, nl + 1);
      if (!j.is_discarded()) on_line(j);
    }
    return data.size();
  };
  parser.on_chunk_body(on_chunk);
  http::read(sock, buf, parser, ec);
  if (ec) return fail(ErrorCode::io_error, "reading the daemon's stream: " + ec.message());
  return {};
}

}  // namespace kavach::cli
