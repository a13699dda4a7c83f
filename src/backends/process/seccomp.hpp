// Seccomp for the process backend: compile the core's neutral SeccompProgram with libseccomp in
// the PARENT, load the ready BPF in the child with one raw syscall.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::process {

struct PreparedSeccomp {
  std::vector<sock_filter> bpf;  // exported by libseccomp (seccomp_export_bpf_mem / seccomp_export_bpf)
  std::string description;       // for the enforcement report: "strict allowlist, N rules, x32/i386 denied"
  bool empty() const { return bpf.empty(); }
};

// Parent side: build the BPF program (no syscalls on the child's behalf).
[[nodiscard]] Result<PreparedSeccomp> prepare_seccomp(const SeccompProgram& program);

// Parent side, per run: the prepared filter for a seccomp policy. The program, its checks and its
// BPF depend on nothing but the SeccompPolicy, so the result is kept per policy (equality, not a
// hash) and later runs copy the ready instructions instead of rebuilding the program. Errors are
// not kept. Thread-safe.
[[nodiscard]] Result<PreparedSeccomp> prepare_seccomp_for(const SeccompPolicy& policy);

// Child side, ASYNC-SIGNAL-SAFE: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog). Requires
// no_new_privs (or CAP_SYS_ADMIN). Returns 0 or -errno.
int apply_seccomp(const PreparedSeccomp& prepared) noexcept;

}  // namespace kavach::process
