#include "core/filesystem_view.hpp"

#include <algorithm>

namespace kavach {
namespace {

namespace fs = std::filesystem;

TmpfsView tmpfs(const char* target, std::uint64_t bytes, bool noexec) {
  return TmpfsView{target, bytes, tmpfs_inode_limit(bytes), 01777, noexec};
}

}  // namespace

bool is_under(const fs::path& p, const fs::path& dir) {
  auto q = p.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++q) {
    if (q == p.end() || *q != *d) return false;
  }
  return true;
}

FilesystemView filesystem_view(const SandboxPolicy& policy) {
  FilesystemView v;
  // The union of what runc/crun mask by default and what the process backend masked before the
  // two were made one (kmsg, key-users, kpage*, config.gz, driver, interrupts).
  v.proc.masked_files = {"kcore",      "kmsg",        "timer_list",  "sched_debug", "keys",       "key-users",
                         "latency_stats", "timer_stats", "kpagecount", "kpageflags", "kpagecgroup", "config.gz",
                         "interrupts"};
  v.proc.masked_dirs = {"acpi", "scsi", "asound", "driver"};
  v.proc.read_only = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
  // The devices runc and crun create in every container: the same set on every backend.
  v.dev.nodes = {"null", "zero", "full", "random", "urandom"};
  v.dev.optional_nodes = {"tty"};
  v.dev.links = {{"/proc/self/fd", "/dev/fd"},
                 {"/proc/self/fd/0", "/dev/stdin"},
                 {"/proc/self/fd/1", "/dev/stdout"},
                 {"/proc/self/fd/2", "/dev/stderr"},
                 {"pts/ptmx", "/dev/ptmx"}};
  v.dev.pts_options = "newinstance,ptmxmode=0666,mode=0620";
  const std::uint64_t bytes = policy.limits.tmpfs_bytes;
  // Shared memory is for data: nothing is executed from it (noexec, as Docker mounts it).
  v.shm = tmpfs("/dev/shm", bytes, /*noexec=*/true);
  const bool tmp_is_host_path = std::any_of(policy.fs.writable_paths.begin(), policy.fs.writable_paths.end(),
                                            [](const fs::path& w) { return w.lexically_normal() == "/tmp"; });
  if (!tmp_is_host_path) v.tmp = tmpfs("/tmp", bytes, /*noexec=*/false);
  v.sys_masked = {"/sys/firmware"};
  v.readonly_root = policy.fs.readonly_root;
  v.workdir = policy.fs.workdir.empty() ? "/" : policy.fs.workdir.lexically_normal().string();
  return v;
}

Result<void> check_policy_path(const fs::path& lexical, const fs::path& canonical, const char* key) {
  for (const char* reserved : {"/proc", "/dev"}) {
    if (is_under(canonical, reserved) || is_under(lexical, reserved)) {
      return fail(ErrorCode::policy_value,
                  std::string(key) + " entry '" + lexical.string() + "' lies in " + reserved +
                      ", which the sandbox builds itself",
                  {{"path", lexical.string()}, {"key", key}});
    }
  }
  if (canonical == "/" || lexical == "/") {
    return fail(ErrorCode::policy_value, std::string(key) + " entry '/' would expose the whole host filesystem",
                {{"path", lexical.string()}, {"key", key}});
  }
  return {};
}

}  // namespace kavach
