#include "network/http_head.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

#include <sstream>

namespace kavach::network {
namespace http = boost::beast::http;

namespace {

// The parser only reads the head: bodies (and tunnelled bytes) are relayed untouched.
struct HeadParser {
  http::request_parser<http::empty_body> parser;
  boost::beast::error_code ec;
  std::size_t used = 0;

  explicit HeadParser(std::string_view input) {
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeadBytes));
    parser.eager(false);
    used = parser.put(boost::asio::const_buffer(input.data(), input.size()), ec);
  }
  [[nodiscard]] bool done() const { return parser.is_header_done(); }
};

// The head as bytes for the origin: Connection: close, no proxy fields.
template <class Request>
std::string for_origin(Request& req) {
  req.erase(http::field::proxy_connection);
  req.erase(http::field::connection);
  req.set(http::field::connection, "close");
  std::ostringstream os;
  os << req.base();
  return os.str();
}

}  // namespace

HeadStatus parse_proxy_head(std::string_view input, ProxyRequest& out, std::string& error) {
  HeadParser h(input);
  if (!h.done()) {
    if (h.ec == http::error::need_more || !h.ec) {
      if (input.size() >= kMaxHeadBytes) {
        error = "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes";
        return HeadStatus::bad;
      }
      return HeadStatus::need_more;
    }
    error = h.ec == http::error::header_limit
                ? "request head larger than " + std::to_string(kMaxHeadBytes) + " bytes"
                : "malformed request: " + h.ec.message();
    return HeadStatus::bad;
  }
  const auto& req = h.parser.get();
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  const auto host = req.find(http::field::host);
  out.host_header = host == req.end() ? std::string() : std::string(host->value());
  out.head_bytes = h.used;
  return HeadStatus::done;
}

std::string rewrite_for_origin(std::string_view input, const std::string& origin_target) {
  HeadParser h(input);
  auto req = h.parser.release();
  req.target(origin_target);
  req.erase(http::field::proxy_authorization);
  return for_origin(req);
}

std::optional<std::string> swap_placeholders(std::string_view input, const std::vector<HeaderSwap>& swaps,
                                             std::string& violation, std::vector<std::string>& swapped) {
  HeadParser h(input);
  if (!h.done()) {
    violation = "malformed request head";
    return std::nullopt;
  }
  auto req = h.parser.release();
  for (const HeaderSwap& s : swaps) {
    if (std::string(req.target()).find(s.placeholder) != std::string::npos) {
      violation = "the placeholder of " + s.name + " is in the request target";
      return std::nullopt;
    }
  }
  // Every field: a placeholder may only sit in the field named for it.
  std::vector<std::pair<std::string, std::string>> replaced;  // field name, new value
  for (const auto& field : req) {
    std::string value(field.value());
    const std::string fname(field.name_string());
    bool changed = false;
    for (const HeaderSwap& s : swaps) {
      for (auto pos = value.find(s.placeholder); pos != std::string::npos; pos = value.find(s.placeholder, pos)) {
        if (!boost::beast::iequals(fname, s.header)) {
          violation = "the placeholder of " + s.name + " is in the " + fname + " field, not " + s.header;
          return std::nullopt;
        }
        value.replace(pos, s.placeholder.size(), s.value);
        pos += s.value.size();
        changed = true;
        swapped.push_back(s.name);
      }
    }
    if (changed) replaced.emplace_back(fname, std::move(value));
  }
  for (auto& [name, value] : replaced) req.set(name, value);
  return for_origin(req);
}

}  // namespace kavach::network
