#include "daemon/registry.hpp"

#include <algorithm>

namespace kavach::daemon {

std::shared_ptr<SessionEntry> Registry::create(uid_t owner, SandboxConfig config, SessionOptions options,
                                               Refusal& refusal, Error& error) {
  {
    std::lock_guard lk(mu_);
    const std::size_t mine = static_cast<std::size_t>(
        std::count_if(sessions_.begin(), sessions_.end(), [owner](const auto& kv) { return kv.second->owner == owner; }));
    if (sessions_.size() + starting_ >= limits_.max_sessions) {
      refusal = {429, "too_many_sessions",
                 "the daemon holds its maximum of " + std::to_string(limits_.max_sessions) + " sessions"};
      return nullptr;
    }
    if (mine >= limits_.max_sessions_per_uid) {
      refusal = {429, "too_many_sessions",
                 "uid " + std::to_string(owner) + " holds its maximum of " + std::to_string(limits_.max_sessions_per_uid) +
                     " sessions"};
      return nullptr;
    }
    ++starting_;
  }
  auto entry = std::make_shared<SessionEntry>();
  entry->owner = owner;
  entry->created = std::chrono::system_clock::now();
  entry->backend = std::string(to_string(config.backend));
  entry->policy = config.policy->name;
  std::unique_ptr<Session> pooled = pool_ && pool_->matches(config, options) ? pool_->take() : nullptr;
  entry->pooled = pooled != nullptr;
  Result<std::unique_ptr<Session>> s = pooled ? Result<std::unique_ptr<Session>>(std::move(pooled))
                                              : Session::open(std::move(config), options);
  std::lock_guard lk(mu_);
  --starting_;
  if (!s) {
    error = s.error();
    return nullptr;
  }
  entry->session = std::move(*s);
  sessions_[entry->session->id()] = entry;
  metrics_.session_created(entry->pooled);
  return entry;
}

std::shared_ptr<SessionEntry> Registry::find(const std::string& id, uid_t uid) {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || (uid != 0 && it->second->owner != uid)) return nullptr;
  return it->second;
}

std::vector<std::shared_ptr<SessionEntry>> Registry::list(uid_t uid) {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<SessionEntry>> out;
  for (const auto& [id, e] : sessions_) {
    if (uid == 0 || e->owner == uid) out.push_back(e);
  }
  return out;
}

bool Registry::remove(const std::string& id, uid_t uid) {
  std::shared_ptr<SessionEntry> e;
  {
    std::lock_guard lk(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || (uid != 0 && it->second->owner != uid)) return false;
    e = it->second;
    sessions_.erase(it);
  }
  (void)e->session->destroy();  // outside the lock: tearing a sandbox down takes a while
  metrics_.session_ended("destroyed");
  return true;
}

void Registry::sweep() {
  std::vector<std::shared_ptr<SessionEntry>> ended;
  {
    std::lock_guard lk(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (!it->second->session->alive()) {
        ended.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& e : ended) {
    const std::string why = e->session->end_reason();
    (void)e->session->destroy();
    metrics_.session_ended(why.rfind("idle", 0) == 0 ? "idle" : "ended");
  }
}

void Registry::destroy_all(const std::string& reason) {
  std::map<std::string, std::shared_ptr<SessionEntry>> all;
  {
    std::lock_guard lk(mu_);
    all.swap(sessions_);
  }
  for (auto& [id, e] : all) {
    (void)e->session->destroy();
    metrics_.session_ended(reason);
  }
}

std::size_t Registry::size() const {
  std::lock_guard lk(mu_);
  return sessions_.size();
}

}  // namespace kavach::daemon
