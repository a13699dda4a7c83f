#include "policy_facts.hpp"

#include <cstdio>

#include "kavach/network.hpp"

namespace kavach::probes {

namespace {

constexpr const char* kCapNames[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};

std::string limit_pair(std::uint64_t v) { return std::to_string(v) + ":" + std::to_string(v); }

}  // namespace

unsigned long long capability_mask(const std::vector<std::string>& names) {
  unsigned long long m = 0;
  for (const auto& n : names) {
    for (unsigned i = 0; i < sizeof kCapNames / sizeof kCapNames[0]; ++i) {
      if (n == kCapNames[i]) m |= 1ULL << i;
    }
  }
  return m;
}

std::vector<std::string> expectation_args(const SandboxPolicy& p) {
  std::vector<std::string> a;
  const ResourceLimits& l = p.limits;
  // RLIMIT_CORE is always 0; the others only when the policy sets them (soft == hard).
  std::string rl = "core=0:0";
  if (l.open_files) rl += ",nofile=" + limit_pair(*l.open_files);
  if (l.file_size_bytes) rl += ",fsize=" + limit_pair(*l.file_size_bytes);
  if (l.address_space_bytes) rl += ",as=" + limit_pair(*l.address_space_bytes);
  // The CPU-time limit is enforced on the whole tree by the backend's watchdog; RLIMIT_CPU is
  // the per-process backstop one second above it (docs/backends/process.md, "CPU time").
  if (l.cpu_time_seconds) rl += ",cpu=" + limit_pair(*l.cpu_time_seconds + 1);
  if (l.nproc) rl += ",nproc=" + limit_pair(*l.nproc);
  a.push_back("--rlimits=" + rl);
  std::string env;
  for (const auto& n : p.env_allow) env += (env.empty() ? "" : ",") + n;
  const NetworkView net = network_view(p);  // allowlist: the proxy variables kavach sets
  for (const auto& [n, v] : net.env) env += (env.empty() ? "" : ",") + n;
  a.push_back("--env-allow=" + env);
  if (l.pids) a.push_back("--pids-max=" + std::to_string(*l.pids));
  if (l.memory_bytes) a.push_back("--mem-limit=" + std::to_string(*l.memory_bytes));
  a.push_back("--tmpfs-limit=" + std::to_string(l.tmpfs_bytes));
  if (l.file_size_bytes) a.push_back("--fsize-limit=" + std::to_string(*l.file_size_bytes));
  if (l.open_files) a.push_back("--nofile-limit=" + std::to_string(*l.open_files));
  if (l.cpu_cores) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", *l.cpu_cores);
    a.push_back(std::string("--cpu-quota=") + buf);
  }
  char cap[32];
  std::snprintf(cap, sizeof cap, "%llx", capability_mask(p.keep_capabilities));
  a.push_back(std::string("--capbnd=") + cap);
  a.push_back(std::string("--memfd-exec=") + (p.seccomp.allow_memfd_exec ? "1" : "0"));
  a.push_back("--net-mode=" + std::string(to_string(p.network.mode)));
  a.push_back(std::string("--landlock-tcp=") + (net.landlock_tcp ? "on" : "off"));
  if (p.landlock.enabled) a.push_back("--landlock-min-abi=" + std::to_string(p.landlock.min_abi));
  std::string names;
  for (const auto& pp : p.fs.protected_paths) {
    if (!pp.is_absolute()) names += (names.empty() ? "" : ",") + pp.lexically_normal().string();
  }
  if (!names.empty()) a.push_back("--protected-names=" + names);
  return a;
}

SandboxPolicy probe_policy(SandboxPolicy p, const ProbeMounts& m) {
  auto add_unique = [](std::vector<std::filesystem::path>& v, const std::filesystem::path& x) {
    for (const auto& e : v) {
      if (e == x) return;
    }
    v.push_back(x);
  };
  add_unique(p.fs.readonly_paths, m.probe_dir);
  add_unique(p.fs.readonly_paths, m.bin_dir);
  add_unique(p.fs.writable_paths, m.workdir);
  add_unique(p.fs.protected_paths, m.protected_dir);
  p.fs.workdir = m.workdir;
  return p;
}

}  // namespace kavach::probes
