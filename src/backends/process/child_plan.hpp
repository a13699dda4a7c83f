// Everything the sandbox child needs, prepared by the PARENT before clone. The child only reads
// this (a copy-on-write snapshot of the parent's memory) and makes raw syscalls: no allocation,
// no locks, nothing that is not async-signal-safe between clone and execve.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "backends/process/capabilities.hpp"
#include "backends/process/landlock.hpp"
#include "backends/process/rlimits.hpp"
#include "backends/process/seccomp.hpp"

namespace kavach::process {

// Setup stages in the order the child runs them (also the timing and error vocabulary).
enum class ChildStage : std::int32_t {
  release,         // waiting for the parent (id maps, cgroup placement)
  ids,             // setresgid / setgroups / setresuid inside the user namespace
  cgroup_ns,       // unshare(CLONE_NEWCGROUP) after the parent placed us in the run's cgroups
  mounts,          // new root on tmpfs, binds, /proc, /dev, /tmp, masks, pivot_root
  hostname,
  network,         // loopback up when the policy asks for it
  workdir,
  terminal,        // a PTY in the sandbox's devpts; the master goes to the parent
  rlimits,
  landlock_rules,  // rules for the sandbox's own mounts (/proc, /dev, /tmp) added in the child
  capabilities,    // bounding, ambient, inheritable, permitted, effective; no_new_privs
  landlock,        // landlock_restrict_self
  command,         // warm start only: from the hand-over until the command process woke
  fork,            // PID 1 forks the command (warm start: while the sandbox is pooled)
  seccomp,         // loaded by the command process, last (warm start: while pooled)
  exec,
  cgroup_join,     // joining the v1 cgroups itself, before the release (errors only)
  guard,           // kavach-guard in front of the command: its trap filter (errors only)
  count
};
inline constexpr std::size_t kStageCount = static_cast<std::size_t>(ChildStage::count);
[[nodiscard]] std::string_view stage_name(ChildStage s);

// Written by the child over the CLOEXEC status pipe when a stage fails; EOF without a record
// means execve succeeded. Fixed size, smaller than PIPE_BUF, so each write is atomic.
struct StatusRecord {
  std::int32_t stage = 0;
  std::int32_t error = 0;   // errno
  std::int32_t detail = -1; // index of the failing mount op, or -1
};

// StatusRecord.stage of the warm start's "set up, waiting for a command" record (not a failure).
inline constexpr std::int32_t kReadyRecord = -1;

// Release bytes: 'G' = cold start (the command is in the plan); 'W' = warm start (set up through
// seccomp in the command process, which sends a kReadyRecord and waits for 'R' with the command
// in the CommandArea).
inline constexpr char kReleaseCold = 'G';
inline constexpr char kReleaseWarm = 'W';
inline constexpr char kReleaseRun = 'R';

// Warm start: the command, written by the parent into a MAP_SHARED area that the pooled PID 1
// inherited at clone (same address in both), before it sends 'R'. Pointers point into `bytes`.
struct CommandArea {
  static constexpr std::size_t kMaxPointers = 4096;
  static constexpr std::size_t kBytes = 1u << 20;
  char* argv[kMaxPointers];        // argv, NULL, envp, NULL, exec paths, NULL (one array)
  char* const* envp = nullptr;
  char* const* exec_paths = nullptr;
  std::size_t exec_path_count = 0;
  char bytes[kBytes];
};

// One MAP_SHARED page the parent reads after the run: stage timestamps and the command's status
// as PID 1 saw it (PID 1 of a pid namespace cannot re-raise the command's fatal signal itself).
struct ChildShared {
  std::uint64_t stage_done_ns[kStageCount];  // CLOCK_MONOTONIC, 0 = not reached
  std::int32_t command_status_valid;
  std::int32_t command_wstatus;
  std::int32_t command_pid;
  std::uint64_t command_reaped_ns;  // when PID 1 reaped the command (then it exits itself)
};

enum class MountKind : std::uint8_t {
  mkdir,       // target, mode; an existing directory is fine
  touch,       // empty file as a mount point; an existing file is fine
  symlink,     // source = link text, target = link path
  bind,        // source -> target (recursive when `recursive`), then attrs
  tmpfs,       // source = mount data ("size=...,mode=..."), flags
  proc,        // fresh procfs of the sandbox's pid namespace
  devpts,      // newinstance devpts
  move_mount,  // fd (a detached, possibly idmapped, mount prepared by the parent) -> target
  write_file,  // source = content (length bytes), mode; created exclusively, never on host disk
  set_attrs,   // attrs on an existing mount (recursive when `recursive`)
};

struct MountOp {
  MountKind kind = MountKind::mkdir;
  const char* source = nullptr;
  const char* target = nullptr;
  std::size_t length = 0;
  unsigned long flags = 0;      // mount(2) flags for tmpfs/proc/devpts
  std::uint64_t attrs = 0;      // MOUNT_ATTR_* to set after mounting
  bool recursive = false;
  bool optional = false;        // ENOENT on source/target skips the op (kernel-dependent /proc files)
  int fd = -1;
  unsigned mode = 0755;
};

// A Landlock rule for a path that exists only inside the sandbox (its own tmpfs, /proc, /dev).
struct ChildLandlockRule {
  const char* path = nullptr;
  std::uint64_t access = 0;
};

struct ChildPlan {
  // Descriptors the child keeps (sorted ascending); every other one is closed first thing.
  const int* keep_fds = nullptr;
  std::size_t keep_count = 0;
  // Both descriptor sweeps: PID 1 closes all but keep_fds, the command marks all above stdio
  // close-on-exec. False only for the test-only negative control.
  bool close_other_fds = true;
  int release_fd = -1;  // read: one byte = go; EOF = parent gone
  int status_fd = -1;   // write: StatusRecord on failure (CLOEXEC)
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  ChildShared* shared = nullptr;
  CommandArea* command_area = nullptr;  // warm start only
  // v1 `tasks` files of the run's cgroups (opened by the parent): the child writes "0" to each
  // before it waits for the release, then closes them.
  const int* cgroup_join_fds = nullptr;
  std::size_t cgroup_join_count = 0;

  // Identity inside the user namespace (or, without one, the unprivileged host ids).
  bool switch_ids = true;
  uid_t uid = 0;
  gid_t gid = 0;
  bool drop_supplementary_groups = true;
  bool unshare_cgroup_ns = false;

  // Filesystem view. `mounts` run after the first pivot into a scratch tmpfs at `base_dir`,
  // with the host tree at /oldroot and the new root at /newroot.
  bool build_root = false;
  const char* base_dir = "/tmp";
  const MountOp* mounts = nullptr;
  std::size_t mount_count = 0;

  const char* hostname = nullptr;  // nullptr: keep
  std::size_t hostname_len = 0;
  bool loopback_up = false;
  const char* workdir = "/";

  const PreparedRlimits* rlimits = nullptr;
  const ChildLandlockRule* landlock_rules = nullptr;
  std::size_t landlock_rule_count = 0;
  const PreparedCapabilities* capabilities = nullptr;
  const PreparedLandlock* landlock = nullptr;  // nullptr: not applied
  const PreparedSeccomp* seccomp = nullptr;    // nullptr: not applied
  // The command is kavach-guard (protected paths): it inherits the status pipe (not
  // close-on-exec) to report its own failures and the real command's exec.
  bool status_fd_to_guard = false;

  // Terminal (Command::terminal): PID 1 opens a PTY in the sandbox's own devpts after the mounts
  // and sends the master to the parent over `terminal_sock`; the command gets the slave as its
  // stdin, stdout, stderr and controlling terminal.
  bool terminal = false;
  int terminal_sock = -1;
  // Network allowlist: PID 1 binds 127.0.0.1:egress_port in its network namespace (after `lo` is
  // up) and sends the listening socket over `egress_sock`; the parent's proxy serves it.
  int egress_sock = -1;
  unsigned short egress_port = 0;
  unsigned short terminal_rows = 24;
  unsigned short terminal_cols = 80;

  // Command (cold start; a warm start takes it from `command_area`). `exec_paths` are the
  // candidates for argv[0] (PATH search done as a list).
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* const* exec_paths = nullptr;
  std::size_t exec_path_count = 0;

  // Stack for the command process, which PID 1 starts with CLONE_VM|CLONE_VFORK (no copy of
  // the address space; PID 1 sleeps until execve). Mapped by the parent.
  char* command_stack = nullptr;
  std::size_t command_stack_size = 0;

  // The parent's argv/environ area, blanked in PID 1 so /proc/1/cmdline leaks nothing.
  char* arg_area = nullptr;
  std::size_t arg_area_len = 0;
};

// The sandbox's containment function: runs in the cloned child, never returns.
[[noreturn]] void child_main(const ChildPlan& plan) noexcept;

}  // namespace kavach::process
