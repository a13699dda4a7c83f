// The process backend: namespaces + seccomp + Landlock + cgroups + capabilities + rlimits on the
// host kernel, no runtime needed. The default backend.
#pragma once

#include <chrono>
#include <memory>

#include "backends/process/control_plan.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"

namespace kavach::process {

struct ProcessBackendOptions {
  IdentityOptions identity;          // defaults: the calling process's ids (see make_*)
  bool force_legacy_clone = false;   // exercise the clone(2) fallback path (tests)
  std::chrono::milliseconds drain_grace{250};  // reading stops this long after the tree died
  // TESTS ONLY, weakens the sandbox: the child keeps the descriptors it inherited (neither PID
  // 1's close-all-but nor the command's close-on-exec sweep runs): the negative control of the
  // descriptor-leak test.
  bool unsafe_keep_inherited_fds_for_tests = false;
};

// Capabilities of the host come from `host` (inject a fake HostInfo to test fail-closed paths).
[[nodiscard]] std::unique_ptr<kavach::Backend> make_process_backend(const HostInfo& host);
[[nodiscard]] std::unique_ptr<kavach::Backend> make_process_backend(const HostInfo& host,
                                                                    ProcessBackendOptions options);

// The options make_process_backend(host) uses: the caller's uid/gid, default host ids.
[[nodiscard]] ProcessBackendOptions default_process_options();

}  // namespace kavach::process
