#include "kavach/json.hpp"

namespace kavach {

nlohmann::json to_json(const EnforcementReport& report) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& c : report.controls()) {
    nlohmann::json item = {{"control", std::string(to_string(c.control))},
                           {"requested", c.requested},
                           {"applied", c.applied},
                           {"state", std::string(to_string(c.state()))},
                           {"detail", c.detail}};
    if (!c.mode.empty()) item["mode"] = c.mode;
    arr.push_back(std::move(item));
  }
  return arr;
}

nlohmann::json to_json(const StrengthScore& score) {
  nlohmann::json breakdown = nlohmann::json::array();
  for (const auto& item : score.breakdown) {
    breakdown.push_back({{"label", item.label}, {"points", item.points}});
  }
  return {{"value", score.value}, {"label", score.label}, {"basis", score.basis}, {"breakdown", breakdown}};
}

nlohmann::json to_json(const ExecResult& r) {
  nlohmann::json j;
  j["exit_code"] = r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr);
  j["signal"] = r.signal ? nlohmann::json(*r.signal) : nlohmann::json(nullptr);
  j["timed_out"] = r.timed_out;
  j["oom_killed"] = r.oom_killed;
  j["pids_limit_hit"] = r.pids_limit_hit;
  j["cpu_limit_hit"] = r.cpu_limit_hit;
  j["stopped_by_consumer"] = r.stopped_by_consumer;
  j["final_status"] = std::string(to_string(r.final_status()));
  j["final_reason"] = r.final_reason();
  if (r.setup_failure) {
    j["setup_failure"] = {{"stage", r.setup_failure->stage},
                          {"errno", r.setup_failure->error_number},
                          {"message", r.setup_failure->message}};
  } else {
    j["setup_failure"] = nullptr;
  }
  // Output is bytes; JSON needs UTF-8, so invalid sequences are replaced (U+FFFD) when dumping
  // with error_handler_t::replace. Callers needing exact bytes use the library API.
  j["stdout"] = r.stdout_data;
  j["stderr"] = r.stderr_data;
  j["stdout_truncated"] = r.stdout_truncated;
  j["stderr_truncated"] = r.stderr_truncated;
  j["duration_ms"] = r.duration_ms;
  nlohmann::json usage = {{"user_cpu_ms", r.usage.user_cpu_ms},
                          {"sys_cpu_ms", r.usage.sys_cpu_ms},
                          {"max_rss_kb", r.usage.max_rss_kb}};
  if (r.usage.memory_peak_bytes) usage["memory_peak_bytes"] = *r.usage.memory_peak_bytes;
  if (r.usage.pids_peak) usage["pids_peak"] = *r.usage.pids_peak;
  j["usage"] = usage;
  nlohmann::json timings = nlohmann::json::object();
  for (const auto& t : r.timings) timings[t.stage] = t.ms;
  j["timings"] = timings;
  j["enforcement"] = to_json(r.enforcement);
  j["backend_info"] = r.backend_info;
  if (r.egress.active) j["egress"] = to_json(r.egress);
  return j;
}

nlohmann::json to_json(const EgressConnection& c) {
  nlohmann::json j = {{"host", c.host},         {"port", c.port},
                      {"method", c.method},     {"allowed", c.allowed},
                      {"bytes_up", c.bytes_up}, {"bytes_down", c.bytes_down},
                      {"duration_ms", c.duration_ms}};
  if (!c.rule.empty()) j["rule"] = c.rule;
  if (!c.reason.empty()) j["reason"] = c.reason;
  if (!c.sni.empty()) j["sni"] = c.sni;
  if (!c.credential.empty()) j["credential"] = c.credential;
  return j;
}

nlohmann::json to_json(const EgressSummary& e) {
  nlohmann::json conns = nlohmann::json::array();
  for (const EgressConnection& c : e.connections) conns.push_back(to_json(c));
  return {{"allowed", e.allowed},       {"denied", e.denied},       {"bytes_up", e.bytes_up},
          {"bytes_down", e.bytes_down}, {"connections", conns},     {"dropped_records", e.dropped_records}};
}

}  // namespace kavach
