// One command in a fresh container, in the process backend's shape: prepare (runtime, controls,
// seccomp; fail closed before anything exists) -> bundle (rootfs, mounts, disk quota,
// config.json) -> run (cgroup, egress proxy, the runtime) -> read back (the cgroup's record,
// limits confirmed) -> decode (the result). Every run has its own bundle and container id and is
// cleaned up on every path.
#pragma once

#include <string>

#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "network/egress_credentials.hpp"

namespace kavach::oci {

struct ContainerExecInput {
  BackendKind kind = BackendKind::oci;
  const HostInfo* host = nullptr;
  std::string runtime_override;
  const SandboxPolicy* policy = nullptr;
  const Command* command = nullptr;  // as EgressRun::command(): CA bundle and swap variables added
  network::EgressOptions egress;
};

[[nodiscard]] Result<ExecResult> exec_container(const ContainerExecInput& in);

}  // namespace kavach::oci
