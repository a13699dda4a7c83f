// Shared set-up for the container backend tests: the real runtimes on this host, a policy
// that keeps each run short, and helpers to look inside the runtime's state.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci_test {

// The backend or a skip reason (the runtime is missing, or we are not root).
struct BackendOrSkip {
  std::unique_ptr<Backend> backend;
  std::string skip;
};
[[nodiscard]] BackendOrSkip make(BackendKind kind, const HostInfo& host);

// The agent preset with a short wall timeout; the probe binary's directory visible read-only.
[[nodiscard]] SandboxPolicy quick_policy(Preset preset = Preset::agent);

[[nodiscard]] Command command(std::vector<std::string> argv);
[[nodiscard]] std::string probe_path();  // the static probe (tests/integration/oci/probe.c)

// Container ids kavach's runtime root for `runtime` still lists (expected empty after runs).
[[nodiscard]] std::vector<std::string> listed_containers(const std::string& runtime);
// Bundle directories left under kavach's state dir.
[[nodiscard]] std::vector<std::string> leftover_bundles();

// "<what>: exit=.. signal=.. stdout=.. stderr=.." for failure messages.
[[nodiscard]] std::string describe(const ExecResult& r);

#define KAVACH_BACKEND_OR_SKIP(var, kind)                 \
  auto var##_made = ::kavach::oci_test::make(kind, host_); \
  if (!var##_made.backend) GTEST_SKIP() << var##_made.skip; \
  ::kavach::Backend& var = *var##_made.backend

// Tests that loop over several backends note which ones ran; one that ran none SKIPs with the
// reasons instead of passing without having run anything.
class Exercised {
 public:
  // True when `made` can run commands; otherwise remembers why `kind` was left out.
  bool take(BackendKind kind, const BackendOrSkip& made) {
    if (made.backend) {
      ++count_;
      return true;
    }
    reasons_ += std::string(to_string(kind)) + ": " + made.skip + "; ";
    return false;
  }
  [[nodiscard]] bool none() const { return count_ == 0; }
  [[nodiscard]] const std::string& reasons() const { return reasons_; }

 private:
  int count_ = 0;
  std::string reasons_;
};

#define KAVACH_SKIP_IF_NONE_RAN(ex) \
  if ((ex).none()) GTEST_SKIP() << "no backend of this test runs here: " << (ex).reasons()

class ContainerTest : public ::testing::Test {
 protected:
  HostInfo host_ = probe_host();
};

}  // namespace kavach::oci_test
