// The last step of an OCI run: what the runtime reported (ContainerOutcome) and what the kernel
// recorded in the container's cgroup, decoded into the common ExecResult — exit code or signal,
// the limit that ended the run, output, usage — and notes for backend_info.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "backends/oci/cgroup_stats.hpp"
#include "backends/oci/container_run.hpp"
#include "kavach/backend_kind.hpp"
#include "kavach/policy.hpp"
#include "kavach/result.hpp"

namespace kavach::oci {

// The runtime could not execute the command itself (not found, not executable): the command's
// failure (exit 127, setup_failure "exec"), not the sandbox's. Wording per runtime:
// runc "exec: \"x\": executable file not found in $PATH", crun "executable file `x` not found",
// runsc "creating process: failed to load /bin/x: no such file or directory".
[[nodiscard]] bool is_exec_failure(const std::string& runtime_message);

struct OutcomeInput {
  BackendKind kind = BackendKind::oci;
  const SandboxPolicy* policy = nullptr;
  std::string program;                          // argv[0], for the exec failure message
  ContainerCgroupStats cgroup;                  // read back before `delete`
  std::optional<std::uint64_t> tree_cpu_usec;  // the CPU-time watch's last reading
};

// Fills the outcome part of `result` (exit_code/signal, timed_out, oom_killed, pids_limit_hit,
// cpu_limit_hit, stopped_by_consumer, setup_failure, output, usage) and adds notes to `info`.
void decode_outcome(ContainerOutcome&& outcome, const OutcomeInput& in, ExecResult& result,
                    std::map<std::string, std::string>& info);

}  // namespace kavach::oci
