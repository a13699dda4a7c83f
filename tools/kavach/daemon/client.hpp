// The CLI's side of the daemon API (kavach session ...): HTTP/1.1 over the unix socket with
// Boost.Beast, one connection per request.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kavach/error.hpp"

namespace kavach::cli {

struct DaemonAnswer {
  int status = 0;
  std::string body;
};

class DaemonClient {
 public:
  explicit DaemonClient(std::filesystem::path socket) : socket_(std::move(socket)) {}
  // A whole answer; errors only for transport failures (an HTTP error status is an answer).
  [[nodiscard]] Result<DaemonAnswer> request(std::string_view method, const std::string& target,
                                             const std::string& body = {},
                                             const std::string& content_type = "application/json");
  // A JSON answer: 2xx -> the object; an error object -> Error with the daemon's code and message.
  [[nodiscard]] Result<nlohmann::json> call(std::string_view method, const std::string& target,
                                            const nlohmann::json& body = nullptr);
  // A streamed exec: each JSON line goes to `on_line` as it arrives.
  [[nodiscard]] Result<void> stream(const std::string& target, const nlohmann::json& body,
                                    const std::function<void(const nlohmann::json&)>& on_line);
  [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }

 private:
  std::filesystem::path socket_;
};

// The error a daemon answer carries (code from the error object; unknown codes as io_error).
[[nodiscard]] Error daemon_error(int status, const std::string& body);
// "a%2Fb" encoding of a query value.
[[nodiscard]] std::string percent_encode(std::string_view s);

}  // namespace kavach::cli
