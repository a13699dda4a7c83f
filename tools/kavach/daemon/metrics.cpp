#include "daemon/metrics.hpp"

#include <fmt/format.h>

namespace kavach::daemon {
namespace {

constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

// A label value escaped as the text format wants (backslash, quote, newline).
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void labelled(std::string& out, const char* name, const char* label, const std::map<std::string, std::uint64_t>& m) {
  for (const auto& [k, v] : m) out += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, escape(k), v);
}

}  // namespace

void Metrics::exec_finished(const std::string& status, double seconds) {
  std::lock_guard lk(mu_);
  execs_[status] += 1;
  for (double b : kBuckets) {
    if (seconds <= b) {
      exec_buckets_[b] += 1;
      break;
    }
  }
  exec_seconds_sum_ += seconds;
  exec_count_ += 1;
}

std::string Metrics::render(std::size_t sessions, std::size_t connections) const {
  std::lock_guard lk(mu_);
  std::string out;
  family(out, "kavach_sessions", "gauge", "Sessions alive now.");
  out += fmt::format("kavach_sessions {}\n", sessions);
  family(out, "kavach_connections", "gauge", "Client connections open now.");
  out += fmt::format("kavach_connections {}\n", connections);
  family(out, "kavach_sessions_created_total", "counter", "Sessions created (start: the pool's configuration, or not).");
  labelled(out, "kavach_sessions_created_total", "start", created_);
  family(out, "kavach_sessions_ended_total", "counter", "Sessions ended, by reason.");
  labelled(out, "kavach_sessions_ended_total", "reason", ended_);
  family(out, "kavach_execs_total", "counter", "Execs finished, by final status.");
  labelled(out, "kavach_execs_total", "status", execs_);
  family(out, "kavach_exec_duration_seconds", "histogram", "Exec latency through the daemon.");
  std::uint64_t cumulative = 0;
  for (double b : kBuckets) {
    auto it = exec_buckets_.find(b);
    cumulative += it == exec_buckets_.end() ? 0 : it->second;
    out += fmt::format("kavach_exec_duration_seconds_bucket{{le=\"{}\"}} {}\n", b, cumulative);
  }
  out += fmt::format("kavach_exec_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", exec_count_);
  out += fmt::format("kavach_exec_duration_seconds_sum {}\nkavach_exec_duration_seconds_count {}\n", exec_seconds_sum_,
                     exec_count_);
  family(out, "kavach_gate_verdicts_total", "counter", "Gate verdicts on exec output and downloads.");
  labelled(out, "kavach_gate_verdicts_total", "verdict", verdicts_);
  family(out, "kavach_http_requests_total", "counter", "HTTP requests answered, by status code.");
  labelled(out, "kavach_http_requests_total", "code", requests_);
  family(out, "kavach_failures_total", "counter", "Requests that failed, by error code.");
  labelled(out, "kavach_failures_total", "code", failures_);
  return out;
}

}  // namespace kavach::daemon
