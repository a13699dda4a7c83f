// Live host probe: what this kernel and machine can enforce.
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>

#include "host/cgroup_probe.hpp"
#include "host/runtime_probe.hpp"
#include "kavach/host.hpp"

namespace kavach {
namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

int probe_landlock_abi() {
#ifdef LANDLOCK_CREATE_RULESET_VERSION
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return abi < 0 ? 0 : static_cast<int>(abi);
#else
  return 0;
#endif
}

bool probe_seccomp() {
  // PR_GET_SECCOMP works whenever CONFIG_SECCOMP is on; filter mode needs CONFIG_SECCOMP_FILTER,
  // which /proc/self/status advertises via the Seccomp_filters line.
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) return false;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Seccomp_filters:", 0) == 0) return true;
  }
  return true;  // older kernels lack the line but filter mode is standard since 3.5
}

// Try for real: a child that unshares a user namespace. Sysctls only tell part of the story
// (AppArmor, container runtimes and seccomp profiles can also forbid it).
void probe_userns(HostInfo& h) {
  std::string reason;
  const std::string unpriv = read_first_line("/proc/sys/kernel/unprivileged_userns_clone");
  const std::string max_ns = read_first_line("/proc/sys/user/max_user_namespaces");
  if (max_ns == "0") reason = "sysctl user.max_user_namespaces = 0";
  if (!h.is_root && unpriv == "0") reason = "sysctl kernel.unprivileged_userns_clone = 0";
  const std::string aa = read_first_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  if (!h.is_root && aa == "1") reason = "sysctl kernel.apparmor_restrict_unprivileged_userns = 1";

  pid_t pid = fork();
  if (pid == 0) {
    _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  }
  int status = 0;
  bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0;
  h.user_namespaces = ok;
  if (!ok && reason.empty()) reason = "unshare(CLONE_NEWUSER) failed in a test child";
  h.userns_reason = ok ? std::string() : reason;
}

bool kernel_at_least(const std::string& release, int major, int minor) {
  int ma = 0;
  int mi = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

bool device_usable(const char* path) { return access(path, R_OK | W_OK) == 0; }

}  // namespace

std::string_view to_string(CgroupLayout l) {
  switch (l) {
    case CgroupLayout::none: return "none";
    case CgroupLayout::v1: return "v1";
    case CgroupLayout::hybrid: return "hybrid";
    case CgroupLayout::v2: return "v2";
  }
  return "none";
}

namespace {

HostInfo probe_kernel() {
  HostInfo h;
  utsname u{};
  if (uname(&u) == 0) h.kernel_release = u.release;
  h.is_root = geteuid() == 0;
  h.landlock_abi = probe_landlock_abi();
  h.seccomp_available = probe_seccomp();
  h.seccomp_notify = h.seccomp_available && kernel_at_least(h.kernel_release, 5, 14);
  probe_userns(h);
  h.cgroups = host::probe_cgroups("/proc/self/mountinfo", "/proc/self/cgroup");
  const bool v2_writable = h.cgroups.clone_into_cgroup;
  h.cgroups.clone_into_cgroup = v2_writable && kernel_at_least(h.kernel_release, 5, 7);
  h.cgroups.cgroup_kill = v2_writable && kernel_at_least(h.kernel_release, 5, 14);
  h.kvm_usable = device_usable("/dev/kvm");
  h.sgx_device = std::filesystem::exists("/dev/sgx_enclave");
  h.sev_device = std::filesystem::exists("/dev/sev");
  h.tdx_device = std::filesystem::exists("/dev/tdx_guest") || std::filesystem::exists("/dev/tdx-guest");
  return h;
}

}  // namespace

HostInfo probe_host() {
  HostInfo h = probe_kernel_cached();
  h.runtimes = host::find_runtimes();
  return h;
}

const HostInfo& probe_kernel_cached() {
  static const HostInfo info = probe_kernel();  // thread-safe static init
  return info;
}

const HostInfo& probe_host_cached() {
  static const HostInfo info = probe_host();
  return info;
}

}  // namespace kavach
