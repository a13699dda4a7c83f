// The daemon's sessions: who owns which, and the limits on how many (per daemon, per uid).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/metrics.hpp"
#include "daemon/session_pool.hpp"
#include "kavach/session.hpp"

namespace kavach::daemon {

struct SessionEntry {
  std::unique_ptr<Session> session;
  uid_t owner = 0;
  std::chrono::system_clock::time_point created;
  std::string backend;
  std::string policy;
  bool pooled = false;  // handed over from the warm pool
};

struct RegistryLimits {
  std::size_t max_sessions = 64;
  std::size_t max_sessions_per_uid = 16;
};

class Registry {
 public:
  Registry(RegistryLimits limits, Metrics& metrics) : limits_(limits), metrics_(metrics) {}
  ~Registry() {
    pool_.reset();
    destroy_all("daemon stopped");
  }
  // Warm starts: creates matching the pool's configuration take a pre-opened session.
  void set_pool(std::unique_ptr<SessionPool> pool) { pool_ = std::move(pool); }
  [[nodiscard]] const SessionPool* pool() const { return pool_.get(); }

  // Errors: "too_many_sessions" (the daemon's or the uid's limit) as a 429, else the session's.
  struct Refusal {
    int http_status = 0;
    std::string code;
    std::string message;
  };
  [[nodiscard]] std::shared_ptr<SessionEntry> create(uid_t owner, SandboxConfig config, SessionOptions options,
                                                     Refusal& refusal, Error& error);
  // nullptr when there is no such session or `uid` may not see it (root sees every session).
  [[nodiscard]] std::shared_ptr<SessionEntry> find(const std::string& id, uid_t uid);
  [[nodiscard]] std::vector<std::shared_ptr<SessionEntry>> list(uid_t uid);
  // Destroys and forgets; false when not found / not visible to `uid`.
  bool remove(const std::string& id, uid_t uid);
  // Forgets sessions that ended on their own (idle timeout, lifetime, init gone).
  void sweep();
  void destroy_all(const std::string& reason);
  [[nodiscard]] std::size_t size() const;

 private:
  RegistryLimits limits_;
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<SessionEntry>> sessions_;
  std::size_t starting_ = 0;  // counted against the limits while they start
  std::unique_ptr<SessionPool> pool_;
};

}  // namespace kavach::daemon
