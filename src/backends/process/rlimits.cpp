// Resource limits for the process backend: the table is built in the parent, the child applies
// it with raw prlimit64 calls.
#include "backends/process/rlimits.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

namespace kavach::process {
namespace {

void add(PreparedRlimits& out, int resource, const char* name, std::uint64_t value) {
  if (out.count >= out.entries.size()) return;  // the table is sized for every limit we set
  out.entries[out.count++] = RlimitEntry{resource, rlimit{value, value}};  // soft == hard
  if (!out.detail.empty()) out.detail += ' ';
  out.detail += std::string(name) + '=' + std::to_string(value);
}

void add_optional(PreparedRlimits& out, int resource, const char* name,
                  const std::optional<std::uint64_t>& value) {
  if (value) add(out, resource, name, *value);
}

}  // namespace

PreparedRlimits prepare_rlimits(const ResourceLimits& limits, std::uint64_t cpu_slack_seconds) {
  PreparedRlimits out;
  add(out, RLIMIT_CORE, "core", 0);  // never a core dump of sandboxed memory on the host
  add_optional(out, RLIMIT_NOFILE, "nofile", limits.open_files);
  add_optional(out, RLIMIT_FSIZE, "fsize", limits.file_size_bytes);
  add_optional(out, RLIMIT_AS, "as", limits.address_space_bytes);
  if (limits.cpu_time_seconds) add(out, RLIMIT_CPU, "cpu", *limits.cpu_time_seconds + cpu_slack_seconds);
  add_optional(out, RLIMIT_NPROC, "nproc", limits.nproc);
  return out;
}

// ASYNC-SIGNAL-SAFE: raw prlimit64 on our own process for each prepared entry. A hard limit
// above the current one needs CAP_SYS_RESOURCE in the initial namespace and fails with EPERM.
int apply_rlimits(const PreparedRlimits& prepared) noexcept {
  for (std::size_t i = 0; i < prepared.count && i < prepared.entries.size(); ++i) {
    const RlimitEntry& e = prepared.entries[i];
    if (syscall(SYS_prlimit64, 0, e.resource, &e.value, nullptr) != 0) return -errno;
  }
  return 0;
}

}  // namespace kavach::process
