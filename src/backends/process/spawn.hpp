// Starting the sandbox child: clone3 with CLONE_PIDFD (and CLONE_INTO_CGROUP when the host has
// a usable v2 directory), falling back to clone(2) for kernels or hosts without them; then the
// parent's part of the handshake: id maps and the release byte.
#pragma once

#include <sys/types.h>

#include "backends/common/unique_fd.hpp"
#include "backends/process/child_plan.hpp"
#include "kavach/error.hpp"

namespace kavach::process {

struct SpawnRequest {
  unsigned long namespaces = 0;  // CLONE_NEW* flags
  int cgroup_fd = -1;            // CLONE_INTO_CGROUP target; -1 = none
  bool force_legacy_clone = false;
  const ChildPlan* plan = nullptr;
};

struct Spawned {
  pid_t pid = -1;
  common::UniqueFd pidfd;
  bool used_clone3 = false;
  bool into_cgroup = false;  // born in the run's v2 cgroup
};

// The child runs child_main(*plan) and never returns here. The child's exit signal is 0: the
// embedding program gets no SIGCHLD and a waitpid(-1) elsewhere cannot steal it.
[[nodiscard]] Result<Spawned> spawn_child(const SpawnRequest& req);

[[nodiscard]] Result<void> write_id_maps(pid_t pid, uid_t inside_uid, uid_t outside_uid,
                                         gid_t inside_gid, gid_t outside_gid, bool deny_setgroups);

// SIGKILL through the pidfd (for the pid namespace's init: the whole namespace dies).
void kill_pidfd(int pidfd) noexcept;

}  // namespace kavach::process
