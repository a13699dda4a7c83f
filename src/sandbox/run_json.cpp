// A finished run as JSON: the one shape `kavach run --json`, the C API and (later) the daemon
// build on.
#include "core/json_bytes.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {

nlohmann::json to_json(const RunReport& rep) {
  nlohmann::json j = to_json(rep.result);
  // Nothing ran: no score, not even the sandbox's (its controls are in "enforcement").
  j["score"] = rep.result.setup_failure ? nlohmann::json(nullptr) : to_json(rep.score);
  // "stdout" is for reading (invalid bytes shown as U+FFFD); *_b64 carries the exact bytes.
  if (!is_valid_utf8(rep.result.stdout_data)) j["stdout_b64"] = base64(rep.result.stdout_data);
  if (!is_valid_utf8(rep.result.stderr_data)) j["stderr_b64"] = base64(rep.result.stderr_data);
  nlohmann::json g = rep.gate ? gate::to_json(*rep.gate) : nlohmann::json{{"verdict", "disabled"}};
  g["release"] = std::string(to_string(rep.release));
  if (rep.released_live_bytes) {
    g["released_live_bytes"] = *rep.released_live_bytes;
    g["release_stopped"] = rep.release_stopped;
  }
  j["gate"] = std::move(g);
  return j;
}

}  // namespace kavach
