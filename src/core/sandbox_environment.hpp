// The sandbox's environment: one meaning for every backend (process envp, OCI process.env, the
// guests of the coming backends). It starts empty; in order, later entries winning:
//   1. policy.env_allow names, with kavach's own values (absent ones stay absent);
//   2. the network mode's proxy variables (network_view: HTTP(S)_PROXY, NO_PROXY...);
//   3. the command's own variables (Command::env, credential placeholders included);
//   4. PATH = kDefaultPath when none of the above set it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach {

// What a shell's default PATH holds on Debian, and what an unset PATH means to execvp.
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Sorted by name: deterministic envp and config.json. Errors: an env_allow entry that is not a
// variable name (policy_value), a command variable with an invalid name or a NUL byte in its
// value (invalid_argument).
[[nodiscard]] Result<std::map<std::string, std::string>> sandbox_environment(
    const SandboxPolicy& policy, const std::vector<std::pair<std::string, std::string>>& command_env);

}  // namespace kavach
