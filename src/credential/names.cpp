// Names a secret and its targets may have, and the egress target syntax VAR@HOST[:PORT]/HEADER.
#include <string>

#include "kavach/credential.hpp"
#include "kavach/network.hpp"

namespace kavach {
namespace {

bool is_alpha_or_underscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_valid_secret_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_alpha_or_underscore(name.front())) return false;
  for (const char c : name) {
    if (!is_alpha_or_underscore(c) && !is_digit(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool is_valid_env_name(std::string_view name) {
  if (name.empty() || !is_alpha_or_underscore(name.front())) return false;
  for (const char c : name) {
    if (!is_alpha_or_underscore(c) && !is_digit(c)) return false;
  }
  return true;
}

Result<EgressTarget> parse_egress_target(std::string_view target) {
  auto bad_target = [&](const std::string& why) {
    return fail(ErrorCode::secret_error, "egress target '" + std::string(target) + "': " + why +
                                             " (write VAR@HOST[:PORT]/HEADER, e.g. GH_TOKEN@api.github.com/Authorization)",
                {{"reason", std::string(kReasonInvalidTarget)}});
  };
  const auto at = target.find('@');
  const auto slash = target.find('/', at == std::string_view::npos ? 0 : at);
  if (at == std::string_view::npos || slash == std::string_view::npos) return bad_target("missing '@' or '/'");
  EgressTarget out;
  out.variable = std::string(target.substr(0, at));
  if (!is_valid_env_name(out.variable)) return bad_target("'" + out.variable + "' is not a variable name");
  out.header = std::string(target.substr(slash + 1));
  const bool token = !out.header.empty() && out.header.find_first_not_of(
                                                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~") ==
                                                std::string::npos;
  if (!token) return bad_target("'" + out.header + "' is not an HTTP header name");
  auto dest = parse_allow_entry(target.substr(at + 1, slash - at - 1));
  if (!dest) return bad_target(dest.error().message);
  if (dest->host.find('*') != std::string::npos || dest->host.find('/') != std::string::npos) {
    return bad_target("one host, not a wildcard or a CIDR");
  }
  out.host = dest->host;
  out.port = dest->port.value_or(443);
  return out;
}

}  // namespace kavach
