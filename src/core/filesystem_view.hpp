// The sandbox's filesystem as the policy means it, defined once; every backend renders it —
// process: mount operations and Landlock rules (backends/process/mount_plan); OCI runtimes:
// config.json mounts, maskedPaths, readonlyPaths (backends/oci/mount_plan, spec); the coming
// microVM, WASM (preopens) and SyAgnos backends the same way. A backend that cannot render a part
// says so in its enforcement report; it does not invent its own variant.
//
// What is host state (which paths exist, where symlinks point, which protected paths exist) is
// not here: renderers read it when they render, with the checks in check_policy_path and
// backends/common/protected_path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach {

// A private tmpfs: always nosuid and nodev.
struct TmpfsView {
  std::filesystem::path target;
  std::uint64_t size_bytes = 0;
  std::uint64_t inodes = 0;  // tmpfs_inode_limit(size_bytes)
  unsigned mode = 01777;
  bool noexec = false;
};

// A fresh procfs (nosuid, nodev, noexec) with what leaks host kernel state or accepts dangerous
// writes hidden. Names are relative to /proc; an entry this kernel lacks is skipped.
struct ProcView {
  std::vector<std::string> masked_files;  // read as empty
  std::vector<std::string> masked_dirs;   // an empty read-only directory
  std::vector<std::string> read_only;     // visible, not writable
};

// A minimal /dev: a small tmpfs (nosuid, noexec; read-only once populated) with the host's
// harmless character devices, the usual links, a private devpts and /dev/shm.
struct DevView {
  std::uint64_t size_bytes = std::uint64_t{64} * 1024;
  unsigned mode = 0755;
  std::vector<std::string> nodes;                           // bound from the host
  std::vector<std::string> optional_nodes;                  // ... when the host has them
  std::vector<std::pair<std::string, std::string>> links;   // {link text, path}
  std::string pts_options;                                  // devpts mount data
};

struct FilesystemView {
  ProcView proc;
  DevView dev;
  TmpfsView shm;                 // /dev/shm
  std::optional<TmpfsView> tmp;  // /tmp; none when /tmp is a writable host path
  // Masked when a backend shows a sysfs at all (the process backend shows none).
  std::vector<std::string> sys_masked;
  bool readonly_root = true;
  std::string workdir = "/";
};

// One inode per 4 KiB page of the size (at least 1024): a file with content needs a page anyway,
// so only floods of empty files (inode exhaustion, probe R06) meet this limit first.
[[nodiscard]] constexpr std::uint64_t tmpfs_inode_limit(std::uint64_t size_bytes) {
  return size_bytes / 4096 > 1024 ? size_bytes / 4096 : 1024;
}

[[nodiscard]] FilesystemView filesystem_view(const SandboxPolicy& policy);

// `p` is `dir` or lies below it, component by component (both lexically normal; "/" holds all).
[[nodiscard]] bool is_under(const std::filesystem::path& p, const std::filesystem::path& dir);

// A read-only or writable host path the policy lists, checked the same way by every renderer:
// `lexical` is the entry normalised, `canonical` the host path it resolves to. Refused: the whole
// host ('/') and anything in /proc or /dev, which the sandbox builds itself (policy_value).
[[nodiscard]] Result<void> check_policy_path(const std::filesystem::path& lexical,
                                             const std::filesystem::path& canonical, const char* key);

}  // namespace kavach
