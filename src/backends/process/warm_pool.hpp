// Warm start for the process backend: a small pool of sandboxes for ONE policy, each built in
// the background up to the point where only the command is missing (own user, pid, mount, net,
// ipc, uts and cgroup namespaces, own cgroups with the policy's limits, own root with its own
// /tmp, /proc and /dev, hostname, rlimits, capabilities dropped, no_new_privs, Landlock domain).
// exec() hands a command to one of them; its PID 1 starts the command, which loads the seccomp
// filter and calls execve. Every pooled sandbox runs exactly one command and is then torn down
// (never returned to the pool); a replacement is built in the background.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backends/process/process_backend.hpp"
#include "kavach/backend.hpp"
#include "kavach/policy.hpp"

namespace kavach::process {

class ProcessBackend;
struct PreparedSandbox;

class WarmPool {
 public:
  // A pool of `size` (1..64) sandboxes for `policy`, on its own process backend. Fails on an
  // invalid policy; set-up errors of the policy on this host surface from exec() (cold start).
  [[nodiscard]] static Result<std::unique_ptr<WarmPool>> create(const HostInfo& host, ProcessBackendOptions options,
                                                                SandboxPolicy policy, std::size_t size);
  ~WarmPool();
  WarmPool(const WarmPool&) = delete;
  WarmPool& operator=(const WarmPool&) = delete;

  // Runs `cmd` in a ready sandbox (backend_info "start" = "warm ..."), or, when none is ready
  // or the command injects files (or this is a forked copy of the pool's process), in a cold
  // one built now with the same policy. `timeout` may shorten the policy's wall timeout.
  [[nodiscard]] Result<ExecResult> exec(const Command& cmd,
                                        std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // Blocks until the pool is full and its helpers idle, or `timeout` passed; false on timeout.
  bool wait_full(std::chrono::milliseconds timeout);
  [[nodiscard]] std::size_t ready() const;
  // Host pids of the idle sandboxes' PID 1 (for memory measurements).
  [[nodiscard]] std::vector<pid_t> idle_pids() const;
  // The last background set-up failure, if any.
  [[nodiscard]] std::optional<std::string> last_error() const;
  [[nodiscard]] const SandboxPolicy& policy() const { return policy_.get(); }

 private:
  WarmPool(std::unique_ptr<ProcessBackend> backend, ValidPolicy policy, std::size_t size);
  void fill_loop();
  std::unique_ptr<PreparedSandbox> take_live();

  std::unique_ptr<ProcessBackend> backend_;
  ValidPolicy policy_;
  std::size_t size_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<PreparedSandbox>> ready_;
  std::vector<std::unique_ptr<PreparedSandbox>> spent_;  // run; the filler removes the rest
  std::optional<std::string> last_error_;
  bool stop_ = false;
  pid_t owner_;  // the pooled sandboxes are this process's children
  std::thread filler_;  // clones every pooled sandbox (their parent-death signal follows it)
};

}  // namespace kavach::process
