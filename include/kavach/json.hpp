// JSON views of results, reports and scores (the shapes `kavach ... --json` prints).
#pragma once

#include <nlohmann/json.hpp>

#include "kavach/enforcement.hpp"
#include "kavach/policy.hpp"
#include "kavach/result.hpp"
#include "kavach/score.hpp"

namespace kavach {

[[nodiscard]] nlohmann::json to_json(const EnforcementReport& report);
[[nodiscard]] nlohmann::json to_json(const StrengthScore& score);
// Keys: exit_code, signal, timed_out, oom_killed, pids_limit_hit, cpu_limit_hit, setup_failure,
// stdout, stderr (UTF-8 with invalid bytes replaced), stdout_truncated, stderr_truncated,
// duration_ms, usage, timings, enforcement, backend_info.
[[nodiscard]] nlohmann::json to_json(const ExecResult& result);
[[nodiscard]] nlohmann::json to_json(const EgressConnection& connection);
[[nodiscard]] nlohmann::json to_json(const EgressSummary& egress);
// The effective policy with the keys of a policy file (docs/policy.md): what `policy_to_toml`
// writes, as JSON.
[[nodiscard]] nlohmann::json to_json(const SandboxPolicy& policy);

}  // namespace kavach
