// Session: a sandbox that lives across commands. Its init stays; every exec runs as the init's
// descendant in the same namespaces, cgroup, filesystem and confinement; processes left running
// by one exec (a server, a REPL) are there for the next; several execs may run at once. Each exec
// goes through the gate, credentials and audit like Sandbox::exec, and its result carries the
// enforcement report and score of the session's controls.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "kavach/config.hpp"
#include "kavach/sandbox.hpp"

namespace kavach {

class SessionBackend;

struct SessionOptions {
  // No exec running and none started for this long: the session is destroyed. 0 = never.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
  // The session's whole life (its init's wall-clock limit): the tree is killed at the end.
  std::chrono::milliseconds max_lifetime{std::chrono::hours(1)};
};

// Read from inside the session (its /proc) and from kavach's own counts.
struct SessionMetrics {
  std::uint64_t processes = 0;          // the session's (not its init nor the backend's PID 1)
  std::uint64_t stopped_processes = 0;  // all of them while paused
  double cpu_ms = 0;                    // user + system of the processes alive now
  std::uint64_t rss_bytes = 0;          // resident memory of the processes alive now
  std::uint64_t bytes_out = 0;          // stdout + stderr of every exec, before the gate
  std::uint64_t execs = 0;              // started so far
  std::size_t running_execs = 0;
};

class Session {
 public:
  // Sets the sandbox up (fail-closed like Sandbox::create + the first exec) and starts its init.
  // Per exec, config.policy's wall timeout and output limit apply; the session lives up to
  // options.max_lifetime.
  [[nodiscard]] static Result<std::unique_ptr<Session>> open(SandboxConfig config, SessionOptions options = {});
  ~Session();  // destroy()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Thread-safe: several execs may run at once. Refused while paused and after the end.
  [[nodiscard]] Result<RunReport> exec(const Command& cmd);
  [[nodiscard]] Result<ExportedFile> export_file(const std::filesystem::path& path);
  [[nodiscard]] Result<void> import_file(const std::filesystem::path& path, std::string_view data,
                                         unsigned mode = 0644);
  // Every process of the session but its init is stopped (SIGSTOP) / continued.
  [[nodiscard]] Result<void> pause();
  [[nodiscard]] Result<void> resume();
  // Kills the whole tree and tears the sandbox down; idempotent.
  [[nodiscard]] Result<void> destroy();
  [[nodiscard]] Result<SessionMetrics> metrics();

  [[nodiscard]] bool alive() const;
  [[nodiscard]] bool paused() const;
  [[nodiscard]] const std::string& id() const { return sandbox_->id(); }
  [[nodiscard]] const SandboxConfig& config() const { return sandbox_->config(); }
  // Why the session is over ("" while alive): destroyed, idle, lifetime, or the init's end.
  [[nodiscard]] std::string end_reason() const;

 private:
  Session(std::unique_ptr<Sandbox> sandbox, SessionBackend* backend, SessionOptions options);
  void watch_idle();

  std::unique_ptr<Sandbox> sandbox_;
  SessionBackend* backend_;  // owned by sandbox_
  SessionOptions options_;
  // mu_ guards the transitions (pause, resume, destroy may wait for the init); the flags are
  // atomics so alive()/paused() never wait behind one (the daemon asks them on every request).
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> paused_{false};
  std::atomic<bool> destroyed_{false};
  std::string end_reason_;  // under mu_
  std::thread idle_watch_;
};

}  // namespace kavach
