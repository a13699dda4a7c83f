// The container's filesystem view as OCI mounts, from the policy's FilesystemPolicy: the same
// meaning as the process backend's view (read-only system dirs, fresh /proc, minimal /dev,
// private /tmp and /dev/shm with a size, writable and read-only binds nodev/nosuid, protected
// paths that exist read-only even inside writable ones; missing ones are kept from being created
// by kavach-guard, whose binary is mounted in /dev), written for a runtime to apply.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "backends/oci/spec.hpp"
#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci {

enum class RootfsKind { host_view, directory, image };
[[nodiscard]] const char* to_string(RootfsKind k);

// The host directories that make up the read-only host view. With a directory or image root
// they are not mounted (the root filesystem brings its own); other read-only paths still are.
[[nodiscard]] bool is_system_dir(const std::filesystem::path& p);

struct MountPlanInput {
  const SandboxPolicy* policy = nullptr;
  RootfsKind rootfs = RootfsKind::host_view;
  // Where a writable host path is bound from (an idmapped copy, see idmap.hpp); default: itself.
  std::function<std::string(const std::filesystem::path&)> writable_source;
  // gVisor mounts a writable sysfs of its own when the spec has none: ask for a read-only one.
  bool readonly_sysfs = false;
  // Host path of kavach-guard, bound at common::kGuardPathInSandbox; empty: no guard.
  std::filesystem::path guard_binary;
  std::filesystem::path egress_bridge_binary;  // allowlist on runsc: kavach-egress-bridge
  std::filesystem::path egress_socket_dir;     // and the directory of the proxy's socket
  // Injected files (Command::files): where the sandbox sees each, and the host file (in the
  // run's memory-backed bundle) bound there read-only.
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> injected_files;
};

struct RootfsSymlink {
  std::string name;    // path inside the root ("/bin")
  std::string target;  // link text ("usr/bin")
};

struct MountPlan {
  std::vector<OciMount> mounts;        // in mount order (parents first)
  std::vector<RootfsSymlink> symlinks;  // host view: merged-/usr links recreated in the rootfs
  std::vector<std::string> writable_targets;  // writable paths as the container sees them
  std::string cwd = "/";
  // The view's /proc masks (and /sys's when a sysfs is shown), for linux.maskedPaths and
  // linux.readonlyPaths: the runtime binds an empty file or directory over each.
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::size_t readonly_binds = 0;
  std::size_t writable_binds = 0;
  std::size_t protected_masks = 0;
};

[[nodiscard]] Result<MountPlan> plan_mounts(const MountPlanInput& in);

}  // namespace kavach::oci
