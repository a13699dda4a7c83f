// Requests as JSON, read one way for every JSON front end (the C API, the daemon): a sandbox
// config, a command, an exported file, an error. Unknown keys are errors (a typo must not
// silently change what runs).
#pragma once

#include <initializer_list>

#include <nlohmann/json.hpp>

#include "kavach/config.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {

// `text` must hold a JSON object; `what` names it in the error.
[[nodiscard]] Result<nlohmann::json> parse_object(const char* text, const char* what);
[[nodiscard]] Result<void> only_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                                     const char* what);
// {"backend", "preset" | "policy" (policy JSON, docs/policy.md), "gate", "rw": [...], "ro": [...]},
// plus the keys in `extra` (read by the caller) — through SandboxConfigBuilder.
[[nodiscard]] Result<SandboxConfig> config_from_json(const nlohmann::json& j,
                                                     std::initializer_list<const char*> extra = {});
// {"argv": [...], "env": {...}, "stdin": "..."}, plus the keys in `extra`.
[[nodiscard]] Result<Command> command_from_json(const nlohmann::json& j, std::initializer_list<const char*> extra = {});
// {"path", "bytes", "release", "verdict", "findings", "content" | "content_b64" (absent when withheld)}
[[nodiscard]] nlohmann::json to_json(const ExportedFile& f);
// {"error": {"code", "message", "context"}}
[[nodiscard]] nlohmann::json error_json(const Error& e);
// Output of commands may hold invalid UTF-8: replaced here (the *_b64 keys carry the exact bytes).
[[nodiscard]] std::string dump_json(const nlohmann::json& j);

}  // namespace kavach
