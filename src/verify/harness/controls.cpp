#include "controls.hpp"

namespace kavach::probes {

namespace {

using W = Weakening;
using C = Control;

// Policy weakenings. Each switches off exactly the control named in the table.
void seccomp_none(SandboxPolicy& p, const WeakenContext&) { p.seccomp.mode = SeccompMode::none; }
// With protected paths, kavach-guard's trap filter refuses namespaces, mounts and clone3 under
// every policy (its path decisions assume the command stays in the sandbox's mount namespace):
// showing those holes needs both layers off.
void seccomp_none_unguarded(SandboxPolicy& p, const WeakenContext&) {
  p.seccomp.mode = SeccompMode::none;
  p.fs.protected_paths.clear();
}
void memfd_exec(SandboxPolicy& p, const WeakenContext&) {
  p.seccomp.mode = SeccompMode::none;
  p.seccomp.allow_memfd_exec = true;
}
// The guard installs its trap filter with seccomp(): a policy denying it cannot protect paths.
void deny_own_filters(SandboxPolicy& p, const WeakenContext&) {
  p.seccomp.extra_deny.push_back("seccomp");
  p.seccomp.extra_deny.push_back("prctl");
  p.fs.protected_paths.clear();
}
void env_canary(SandboxPolicy& p, const WeakenContext& c) { p.env_allow.push_back(c.canary_env); }
void no_rlimits(SandboxPolicy& p, const WeakenContext&) {
  p.limits.open_files.reset();
  p.limits.file_size_bytes.reset();
  p.limits.address_space_bytes.reset();
  p.limits.cpu_time_seconds.reset();
  p.limits.nproc.reset();
}
void keep_caps(SandboxPolicy& p, const WeakenContext&) { p.keep_capabilities = {"CAP_NET_BIND_SERVICE"}; }
void mount_caps(SandboxPolicy& p, const WeakenContext&) {
  p.keep_capabilities = {"CAP_SYS_ADMIN"};
  p.seccomp.mode = SeccompMode::none;
  p.landlock.enabled = false;
  p.fs.protected_paths.clear();
}
void expose_secret_ro(SandboxPolicy& p, const WeakenContext& c) { p.fs.readonly_paths.push_back(c.secret_dir); }
void expose_secret_rw(SandboxPolicy& p, const WeakenContext& c) { p.fs.writable_paths.push_back(c.secret_dir); }
void rw_root(SandboxPolicy& p, const WeakenContext&) {
  p.fs.readonly_root = false;
  p.landlock.enabled = false;
}
void landlock_off(SandboxPolicy& p, const WeakenContext&) { p.landlock.enabled = false; }
void host_network(SandboxPolicy& p, const WeakenContext&) {
  p.network.mode = NetworkMode::host;
  p.network.allow.clear();
}
void no_protected(SandboxPolicy& p, const WeakenContext&) {
  p.fs.protected_paths.clear();
  p.landlock.enabled = false;
}
void tcp_open(SandboxPolicy& p, const WeakenContext&) { p.landlock.restrict_tcp = false; }
void no_pids(SandboxPolicy& p, const WeakenContext&) {
  p.limits.pids.reset();
  p.limits.nproc.reset();
}
void no_memory(SandboxPolicy& p, const WeakenContext&) {
  p.limits.memory_bytes.reset();
  p.limits.swap_bytes.reset();
  p.limits.address_space_bytes.reset();
}
void big_tmpfs(SandboxPolicy& p, const WeakenContext&) { p.limits.tmpfs_bytes = 2048ull << 20; }
void no_fsize(SandboxPolicy& p, const WeakenContext&) { p.limits.file_size_bytes.reset(); }
void no_nofile(SandboxPolicy& p, const WeakenContext&) { p.limits.open_files.reset(); }
void no_cpu(SandboxPolicy& p, const WeakenContext&) { p.limits.cpu_cores.reset(); }
void big_output(SandboxPolicy& p, const WeakenContext&) { p.limits.output_bytes = 1024ull << 20; }

const char* kUnsandboxed = "no policy knob: run directly on the host";

}  // namespace

const std::vector<ProbeControl>& probe_controls() {
  static const std::vector<ProbeControl> t = {
      // H — launcher hygiene
      {"H01", "launcher: fd hygiene", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"H02", "launcher: environment scrub", std::nullopt, W::policy, "env_allow += canary variable", env_canary},
      {"H03", "launcher: own session, no ctty", std::nullopt, W::unsandboxed, "launcher on a pty, no sandbox"},
      {"H04", "seccomp: tty ioctls", C::seccomp, W::policy, "seccomp none (launcher on a pty)", seccomp_none},
      {"H05", "seccomp: tty ioctls", C::seccomp, W::policy, "seccomp none (launcher on a pty)", seccomp_none},
      {"H06", "no_new_privs", C::no_new_privs, W::unsandboxed, kUnsandboxed},
      {"H07", "rlimits: no core dumps", C::rlimits, W::unsandboxed, kUnsandboxed},
      {"H08", "rlimits", C::rlimits, W::policy, "rlimits unset (expectations keep the preset's)", no_rlimits},
      {"H09", "launcher: tree dies with launcher", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"H10", "mount namespace: cwd inside root", C::ns_mount, W::unsandboxed, "run directly with cwd = canary dir"},
      // P — privilege
      {"P01", "capabilities dropped", C::capabilities, W::policy, "keep_capabilities = CAP_NET_BIND_SERVICE", keep_caps},
      {"P02", "no_new_privs: setuid ignored", C::no_new_privs, W::unsandboxed, kUnsandboxed},
      {"P03", "no_new_privs: file caps ignored", C::no_new_privs, W::unsandboxed, kUnsandboxed},
      {"P04", "capabilities: identity fixed", C::capabilities, W::unsandboxed, kUnsandboxed},
      {"P05", "user mapped to unprivileged host id", C::unprivileged_uid, W::unsandboxed, kUnsandboxed},
      // Keeping a capability is no weakening here: the backend then locks SECBIT_NOROOT.
      {"P06", "capabilities: none regained on exec", C::capabilities, W::unsandboxed, kUnsandboxed},
      {"P07", "host safety: no set-id/device/fcap files", C::host_safety, W::unsandboxed, kUnsandboxed},
      // N — namespaces
      {"N01", "pid namespace", C::ns_pid, W::unsandboxed, kUnsandboxed},
      {"N02", "mount namespace", C::ns_mount, W::unsandboxed, kUnsandboxed},
      {"N03", "network namespace", C::ns_net, W::unsandboxed, kUnsandboxed},
      {"N04", "uts namespace", C::ns_uts, W::unsandboxed, kUnsandboxed},
      {"N05", "ipc namespace", C::ns_ipc, W::unsandboxed, kUnsandboxed},
      {"N06", "seccomp: no nested user namespaces", C::seccomp, W::policy, "seccomp none, protected paths cleared", seccomp_none_unguarded},
      {"N07", "namespaces: setns refused", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"N08", "cgroup namespace", C::ns_cgroup, W::unsandboxed, kUnsandboxed},
      {"N09", "capabilities: clock not settable", C::capabilities, W::unsandboxed, kUnsandboxed},
      {"N10", "network: the only way out is the policy's", C::network, W::policy, "network mode host", host_network},
      // F — filesystem
      {"F01", "read-only root", C::readonly_root, W::policy, "readonly_root = false, landlock off", rw_root},
      {"F02", "filesystem: write allow-list", C::landlock_fs, W::policy, "canary dir added as writable", expose_secret_rw},
      {"F03", "filesystem: secrets hidden", C::ns_mount, W::policy, "canary dir added as read-only path", expose_secret_ro},
      {"F04", "filesystem: /proc path pivots", C::ns_mount, W::policy, "canary dir added as read-only path", expose_secret_ro},
      {"F05", "filesystem: no hard links out", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"F06", "filesystem: mount API denied", C::capabilities, W::policy, "CAP_SYS_ADMIN kept, seccomp none, landlock off, protected paths cleared", mount_caps},
      {"F07", "filesystem: ro mounts locked", C::capabilities, W::policy, "CAP_SYS_ADMIN kept, seccomp none, landlock off, protected paths cleared", mount_caps},
      {"F08", "seccomp: file handles", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"F09", "capabilities: chroot", C::capabilities, W::unsandboxed, kUnsandboxed},
      {"F10", "filesystem: nodev, no mknod", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"F11", "copy-out: no link following", std::nullopt, W::detector, "naive copy-out that follows links"},
      {"F12", "copy-out: no blocking on FIFOs", std::nullopt, W::detector, "naive copy-out that opens FIFOs"},
      {"F13", "protected names at every depth", C::protected_paths, W::policy, "protected paths cleared, landlock off", no_protected},
      // S — /proc and /sys
      {"S01", "/proc/sys read-only", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"S02", "/proc masks", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"S03", "/sys read-only", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"S04", "kernel address/log leaks", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"S05", "/proc/self/mem FOLL_FORCE", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"S06", "pid namespace: parent environ", C::ns_pid, W::unsandboxed, kUnsandboxed},
      // C — seccomp
      // seccomp "none" still installs the host-safety filter (foreign ABIs killed): only a run
      // outside any sandbox shows these open.
      {"C01", "seccomp", C::seccomp, W::unsandboxed, kUnsandboxed},
      {"C02", "seccomp: i386 ABI", C::seccomp, W::unsandboxed, kUnsandboxed},
      {"C03", "seccomp: x32 ABI", C::seccomp, W::unsandboxed, kUnsandboxed},
      {"C04", "seccomp: dangerous set", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"C05", "seccomp: clone3 ENOSYS", C::seccomp, W::policy, "seccomp none, protected paths cleared", seccomp_none_unguarded},
      {"C06", "seccomp: ioctl arguments", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"C07", "seccomp: socket families", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"C08", "seccomp: personality", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"C09", "seccomp: memfd exec", C::seccomp, W::policy, "seccomp none, allow_memfd_exec", memfd_exec},
      // seccomp "none" keeps the host-safety filter (io_uring denied): only an unsandboxed run
      // has no filter at all.
      {"C10", "seccomp: filter immutable", C::seccomp, W::unsandboxed, kUnsandboxed},
      {"C11", "seccomp: own filters possible", std::nullopt, W::policy, "extra_deny seccomp, prctl, protected paths cleared", deny_own_filters},
      {"C12", "guard: user-notification races", C::protected_paths, W::policy, "protected paths cleared, landlock off", no_protected},
      // L — Landlock
      {"L01", "landlock filesystem", C::landlock_fs, W::policy, "landlock off", landlock_off},
      {"L02", "filesystem rights", C::landlock_fs, W::unsandboxed, kUnsandboxed},
      {"L03", "landlock refer / protected paths", C::landlock_fs, W::policy, "protected paths cleared, landlock off", no_protected},
      {"L04", "memfd exec gap closed", C::seccomp, W::policy, "seccomp none, allow_memfd_exec", memfd_exec},
      {"L05", "landlock TCP rules", C::landlock_net, W::policy, "landlock restrict_tcp = false", tcp_open},
      {"L06", "TCP fast-open gap closed", C::network, W::unsandboxed, kUnsandboxed},
      {"L07", "abstract sockets scoped", C::landlock_scopes, W::unsandboxed, kUnsandboxed},
      {"L08", "signals scoped", C::landlock_scopes, W::unsandboxed, kUnsandboxed},
      {"L09", "ptrace scoped", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"L10", "no pre-opened fds", std::nullopt, W::unsandboxed, kUnsandboxed},
      // I — IPC, signals, keyring, sockets
      {"I01", "signals: host unreachable", C::ns_pid, W::unsandboxed, kUnsandboxed},
      {"I02", "launcher: own session keyring", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"I03", "abstract sockets", C::ns_net, W::unsandboxed, kUnsandboxed},
      {"I04", "host sockets hidden", C::ns_mount, W::policy, "canary dir added as read-only path", expose_secret_ro},
      {"I05", "inotify on host paths", C::ns_mount, W::policy, "canary dir added as read-only path", expose_secret_ro},
      // W — network
      {"W01", "network: TCP egress", C::network, W::unsandboxed, kUnsandboxed},
      {"W02", "network: DNS egress", C::network, W::unsandboxed, kUnsandboxed},
      {"W03", "network: ICMP", C::network, W::unsandboxed, kUnsandboxed},
      {"W04", "network: metadata route", C::network, W::unsandboxed, kUnsandboxed},
      {"W05", "seccomp: vsock", C::seccomp, W::policy, "seccomp none", seccomp_none},
      {"W06", "network: own netns only", C::network, W::unsandboxed, kUnsandboxed},
      // D — devices
      {"D01", "devices: minimal /dev", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"D02", "devices: private /dev/shm", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"D03", "devices: no device access", std::nullopt, W::unsandboxed, kUnsandboxed},
      // R — resources
      {"R01", "pids limit: fork bomb", C::cgroup_pids, W::policy, "pids and nproc unset", no_pids},
      {"R02", "pids limit: thread bomb", C::cgroup_pids, W::policy, "pids and nproc unset", no_pids},
      {"R03", "memory limit", C::cgroup_memory, W::policy, "memory, swap and address space unset", no_memory},
      {"R04", "tmpfs size", std::nullopt, W::policy, "tmpfs 2 GiB (expectation keeps the preset's)", big_tmpfs},
      {"R05", "rlimits: file size", C::rlimits, W::policy, "file size limit unset", no_fsize},
      {"R06", "tmpfs inodes", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"R07", "rlimits: open files", C::rlimits, W::policy, "open files limit unset", no_nofile},
      // A 1-core quota cannot be out-run reliably on a busy 2-core host; an unlimited sandbox
      // still clearly exceeds a quarter core.
      {"R08", "cpu quota", C::cgroup_cpu, W::policy, "cpu quota unset (probe expects 0.25 core)", no_cpu,
       "--cpu-quota=0.25"},
      {"R09", "output cap", std::nullopt, W::policy, "output cap 1 GiB (harness expects the preset's)", big_output},
      {"R10", "pids limit: zombies", C::cgroup_pids, W::policy, "pids and nproc unset", no_pids},
      {"R11", "teardown: orphans", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"R12", "per-uid kernel quotas", C::unprivileged_uid, W::unsandboxed, kUnsandboxed},
      {"R13", "seccomp: nested netns", C::seccomp, W::policy, "seccomp none, protected paths cleared", seccomp_none_unguarded},
      {"R14", "harness: slow consumer", std::nullopt, W::detector, "runner timeout shorter than the idle probe"},
      {"R15", "seccomp: no AIO contexts", C::seccomp, W::policy, "seccomp none", seccomp_none},
      // T — teardown
      {"T01", "teardown: no survivors", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"T02", "teardown: no mount leaks", std::nullopt, W::detector, "harness plants a host mount during the run"},
      {"T03", "teardown: temp/setuid cleanup", std::nullopt, W::unsandboxed, kUnsandboxed},
      {"T04", "status reporting", std::nullopt, W::detector, "wrapper that reports every status as exit 0"},
  };
  return t;
}

const ProbeControl* find_probe_control(std::string_view id) {
  for (const auto& c : probe_controls()) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace kavach::probes
