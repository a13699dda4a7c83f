#include "core/sandbox_environment.hpp"

#include "core/env_names.hpp"
#include "kavach/network.hpp"

#include <cstdlib>

namespace kavach {

Result<std::map<std::string, std::string>> sandbox_environment(
    const SandboxPolicy& policy, const std::vector<std::pair<std::string, std::string>>& command_env) {
  std::map<std::string, std::string> env;
  for (const auto& name : policy.env_allow) {
    if (!is_env_var_name(name)) {
      return fail(ErrorCode::policy_value, "env_allow entry '" + name + "' is not a variable name",
                  {{"key", "env_allow"}});
    }
    if (const char* v = std::getenv(name.c_str()); v != nullptr) env[name] = v;
  }
  for (auto& [name, value] : network_view(policy).env) env[name] = std::move(value);
  for (const auto& [name, value] : command_env) {
    if (!is_env_var_name(name)) {
      return fail(ErrorCode::invalid_argument, "command environment name '" + name + "' is invalid",
                  {{"name", name}});
    }
    if (value.find('\0') != std::string::npos) {
      return fail(ErrorCode::invalid_argument, "value of environment variable " + name + " contains a NUL byte",
                  {{"name", name}});
    }
    env[name] = value;
  }
  if (env.count("PATH") == 0) env["PATH"] = kDefaultPath;
  return env;
}

}  // namespace kavach
