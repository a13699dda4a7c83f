// Shared helpers for the process backend integration tests (real kernel, this machine).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends/process/process_backend.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::testing {

// A preset with a short wall timeout so no test can hang.
SandboxPolicy quick_policy(Preset p = Preset::strict,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

inline Command sh(const std::string& script) { return Command{{"sh", "-c", script}, {}, {}, {}}; }

// A string unique to this test run, for process-name markers and scratch paths.
std::string unique_token();

// Host processes whose command line contains `marker` (e.g. "sleep 1000.123").
std::vector<int> processes_with(const std::string& marker);
// The same, polled for up to `wait` until one shows up: a negative control's leftover process may
// still be between fork and exec when the run returns.
std::vector<int> processes_appearing_with(const std::string& marker,
                                          std::chrono::milliseconds wait = std::chrono::milliseconds(2'000));
void kill_processes_with(const std::string& marker);

// A scratch directory on the host, removed with its contents at destruction.
class HostScratch {
 public:
  HostScratch();
  ~HostScratch();
  HostScratch(const HostScratch&) = delete;
  HostScratch& operator=(const HostScratch&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A host without some features, for fail-closed tests (everything else as probed).
HostInfo live_host();

class ProcessBackendTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Runs and fails the test on a set-up error (so assertions below see a real result).
  ExecResult run(const SandboxPolicy& policy, const Command& cmd);
  ExecResult run_on(Backend& backend, const SandboxPolicy& policy, const Command& cmd);

  std::unique_ptr<Backend> backend_;
};

}  // namespace kavach::testing
