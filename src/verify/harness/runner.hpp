// Running the probe: the result shape every runner produces, and the direct runner (fork/exec on
// this host, optionally behind a wrapper such as bwrap/unshare, optionally on a pseudo terminal).
// The kavach backend runner lives in backend_runner.hpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::probes {

struct RunSpec {
  std::vector<std::string> argv;            // argv[0] = probe binary path as the runner sees it
  std::optional<std::string> stdin_data;    // none = /dev/null
  std::chrono::milliseconds timeout{120'000};
  std::uint64_t output_cap = 8u << 20;      // per stream
  bool controlling_tty = false;             // run on a fresh pty that is our controlling tty
};

struct RunOutput {
  std::optional<int> exit_code;
  std::optional<int> signal;
  bool timed_out = false;
  bool pids_limit_hit = false;
  bool oom_killed = false;
  bool cpu_limit_hit = false;
  std::string stdout_data, stderr_data;
  bool stdout_truncated = false, stderr_truncated = false;
  double duration_ms = 0;
  std::string setup_error;  // non-empty when the sandbox could not be set up
};

// One way to run argv "inside" something. Implementations: direct (no sandbox, or a wrapper
// command prefix) and the kavach backend.
class Runner {
 public:
  virtual ~Runner() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  // Path under which the runner's sandbox sees the probe binary (argv[0] of RunSpec).
  [[nodiscard]] virtual std::string probe_path() const = 0;
  [[nodiscard]] virtual Result<RunOutput> run(const RunSpec& spec) = 0;
};

// fork/exec of (prefix + argv) on this host with bounded, concurrent capture of stdout/stderr.
// Returns when the main process is gone and a short drain grace has passed (processes left
// behind that still hold the pipes cannot hang it).
class DirectRunner : public Runner {
 public:
  DirectRunner(std::string probe, std::vector<std::string> prefix = {}, std::string label = "host")
      : probe_(std::move(probe)), prefix_(std::move(prefix)), label_(std::move(label)) {}
  [[nodiscard]] std::string name() const override { return label_; }
  [[nodiscard]] std::string probe_path() const override { return probe_; }
  [[nodiscard]] Result<RunOutput> run(const RunSpec& spec) override;
  // Working directory of the started process (default: inherited).
  void set_cwd(std::string dir) { cwd_ = std::move(dir); }

 private:
  std::string cwd_;
  std::string probe_;
  std::vector<std::string> prefix_;
  std::string label_;
};

// Small synchronous helper: run argv, return stdout (bounded, 5 s timeout).
[[nodiscard]] Result<std::string> capture_command(const std::vector<std::string>& argv);

}  // namespace kavach::probes
