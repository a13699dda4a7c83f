// A session as a backend: one long-lived sandbox (any backend that runs commands) whose command is
// kavach's session init; every exec is a request to that init, which starts the command as its
// descendant — same namespaces, cgroup, filesystem, filter, Landlock domain. Being a Backend, a
// session's execs go through Sandbox::exec like any other: credentials, gate, audit, score.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/session_frames.hpp"
#include "kavach/backend.hpp"
#include "kavach/session.hpp"
#include "kavach/stream.hpp"

namespace kavach {

class SessionBackend final : public Backend, private OutputSink {
 public:
  // Starts the init in `inner` under `policy` (its wall timeout becomes max_lifetime) and waits
  // until it is ready; an error when the sandbox could not be set up.
  [[nodiscard]] static Result<std::unique_ptr<SessionBackend>> start(std::unique_ptr<Backend> inner,
                                                                     const ValidPolicy& policy,
                                                                     std::chrono::milliseconds max_lifetime);
  ~SessionBackend() override;

  [[nodiscard]] BackendKind kind() const override { return kind_; }
  [[nodiscard]] Maturity maturity() const override { return inner_->maturity(); }
  [[nodiscard]] Availability availability() const override { return inner_->availability(); }
  [[nodiscard]] Result<void> health_check() override;
  // Ends the session: the init kills every process of the sandbox, then the backend tears the
  // sandbox down (namespaces, cgroup, mounts). Idempotent.
  [[nodiscard]] Result<void> destroy() override;

  [[nodiscard]] Result<SessionMetrics> metrics();
  [[nodiscard]] Result<void> freeze(bool frozen);
  [[nodiscard]] bool alive() const;
  [[nodiscard]] std::size_t running_execs() const;
  [[nodiscard]] std::chrono::steady_clock::time_point last_activity() const;
  // Why the session ended, when it did (the init's run as the backend reported it).
  [[nodiscard]] std::string end_reason() const;

 protected:
  [[nodiscard]] Result<ExecResult> run(const ValidPolicy& policy, const Command& cmd) override;

 private:
  struct Pending;
  SessionBackend(std::unique_ptr<Backend> inner, int control_write);
  // OutputSink: the init's stdout (frames) and stderr (its own diagnostics).
  bool on_output(OutputStream stream, std::string_view bytes) override;
  void on_started(const EnforcementReport& controls) override;
  unsigned idle_ms() const override { return 1000; }
  bool still_wanted() override { return !abandoned_.load(); }
  void dispatch(const session_frames::Header& h, std::string& payload);
  Result<void> send(session_frames::Type t, std::uint32_t id, std::string_view payload = {});
  Result<std::string> control(session_frames::Type t);
  [[nodiscard]] std::string end_reason_locked() const;

  std::unique_ptr<Backend> inner_;
  BackendKind kind_;
  int control_w_ = -1;  // the init's stdin
  std::thread runner_;  // runs the init through inner_ until the session ends
  std::atomic<bool> abandoned_{false};  // destroy gave up on the init: the backend kills the tree

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  bool ended_ = false;
  std::optional<EnforcementReport> report_;
  std::optional<Result<ExecResult>> init_result_;
  std::string init_stderr_;  // last bytes only
  std::map<std::uint32_t, Pending*> pending_;
  std::uint32_t next_id_ = 1;
  std::optional<std::string> control_reply_;
  std::uint64_t bytes_out_ = 0;
  std::uint64_t execs_ = 0;
  std::chrono::steady_clock::time_point last_activity_;
  session_frames::Reader reader_;

  std::mutex write_mu_;    // one frame at a time on the init's stdin
  std::mutex control_mu_;  // one control request (stats, freeze, thaw) at a time
};

}  // namespace kavach
