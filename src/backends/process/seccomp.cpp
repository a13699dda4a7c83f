// Seccomp for the process backend: the neutral program is compiled to classic BPF in the parent
// (common/seccomp_bpf); the child only hands the ready instructions to the kernel.
#include "backends/process/seccomp.hpp"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "backends/common/seccomp_bpf.hpp"

namespace kavach::process {

Result<PreparedSeccomp> prepare_seccomp(const SeccompProgram& program) {
  PreparedSeccomp out;
  out.description = program.description;
  auto bpf = common::compile_seccomp_bpf(program);
  if (!bpf) return tl::unexpected(bpf.error());
  out.bpf = std::move(*bpf);
  out.description += ", " + std::to_string(out.bpf.size()) + " BPF instructions";
  return out;
}

namespace {

// SeccompPolicy -> prepared filter.
using PreparedCache = common::SmallCache<SeccompPolicy, PreparedSeccomp>;

PreparedCache& prepared_cache() {
  static PreparedCache cache;
  return cache;
}

}  // namespace

Result<PreparedSeccomp> prepare_seccomp_for(const SeccompPolicy& policy) {
  PreparedSeccomp out;
  if (prepared_cache().find(policy, out)) return out;
  auto program = build_seccomp_program(policy);
  if (!program) return tl::unexpected(program.error());
  auto prepared = prepare_seccomp(*program);
  if (!prepared) return tl::unexpected(prepared.error());
  prepared_cache().store(policy, *prepared);
  return prepared;
}

// ASYNC-SIGNAL-SAFE: one raw syscall on memory prepared by the parent; no allocation.
int apply_seccomp(const PreparedSeccomp& prepared) noexcept {
  if (prepared.bpf.empty()) return 0;
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(prepared.bpf.size());
  prog.filter = const_cast<sock_filter*>(prepared.bpf.data());
  // Flags 0: the child is single-threaded (no TSYNC needed) and keeps the kernel's default
  // speculative-store-bypass mitigation for seccomp'd tasks.
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0U, &prog) != 0) return -errno;
  return 0;
}

}  // namespace kavach::process
