// The daemon's counters, rendered in the Prometheus text format (GET /metrics).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace kavach::daemon {

class Metrics {
 public:
  void session_created(bool warm) { add(created_, warm ? "warm" : "cold", 1); }
  void session_ended(const std::string& reason) { add(ended_, reason, 1); }
  void exec_finished(const std::string& status, double seconds);
  void gate_verdict(const std::string& verdict) { add(verdicts_, verdict, 1); }
  void request(int http_status) { add(requests_, std::to_string(http_status), 1); }
  void failure(const std::string& code) { add(failures_, code, 1); }
  // `sessions`: alive now (the registry's count, read at render time).
  [[nodiscard]] std::string render(std::size_t sessions, std::size_t connections) const;

 private:
  void add(std::map<std::string, std::uint64_t>& m, const std::string& label, std::uint64_t n) {
    std::lock_guard lk(mu_);
    m[label] += n;
  }
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> created_, ended_, execs_, verdicts_, requests_, failures_;
  std::map<double, std::uint64_t> exec_buckets_;  // upper bound -> count (cumulative at render)
  double exec_seconds_sum_ = 0;
  std::uint64_t exec_count_ = 0;
};

}  // namespace kavach::daemon
