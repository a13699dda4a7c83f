// Capabilities for the process backend: names resolved in the parent, sets dropped in the child
// with raw prctl/capset calls.
#include "backends/process/capabilities.hpp"

#include "core/capability_names.hpp"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <string_view>

namespace kavach::process {
namespace {

constexpr int kMaxCap = 63;  // capability masks are 64 bits wide

int read_last_cap() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int v = -1;
  if (in >> v && v >= 0 && v <= kMaxCap) return v;
  return kMaxCap;  // unknown: apply drops until the kernel says EINVAL
}

}  // namespace

Result<PreparedCapabilities> prepare_capabilities(const std::vector<std::string>& keep) {
  PreparedCapabilities out;
  out.last_cap = read_last_cap();
  std::string kept;
  for (const auto& name : keep) {
    const std::string n = canonical_capability_name(name);
    const std::optional<int> number = capability_number(n);
    if (!number) {
      return fail(ErrorCode::invalid_argument,
                  "unknown capability '" + name + "' in keep_capabilities (expected a name like "
                  "CAP_NET_BIND_SERVICE)",
                  {{"capability", name}, {"key", "keep_capabilities"}});
    }
    const int cap = *number;
    if (cap > out.last_cap) {
      return fail(ErrorCode::control_unavailable,
                  "capability " + n + " is not known to this kernel (cap_last_cap=" +
                      std::to_string(out.last_cap) + ")",
                  {{"capability", name}, {"control", "capabilities"}});
    }
    if (!(out.keep & (std::uint64_t{1} << cap))) kept += (kept.empty() ? "" : ",") + n;
    out.keep |= std::uint64_t{1} << cap;
  }
  out.detail = out.keep == 0
                   ? "all capabilities dropped (bounding, ambient, inheritable, permitted, "
                     "effective); securebits noroot locked; no_new_privs"
                   : "kept " + kept + " (bounding, permitted, effective, inheritable, ambient); all "
                     "others dropped; securebits noroot locked; no_new_privs";
  return out;
}

// ASYNC-SIGNAL-SAFE: raw prctl/capset calls on values prepared by the parent; no allocation.
// Run it after any uid/gid change and before Landlock and seccomp (they need no_new_privs).
int apply_capabilities(const PreparedCapabilities& prepared) noexcept {
  const std::uint64_t keep = prepared.keep;
  // 1. Securebits while CAP_SETPCAP is still held: root gains nothing from exec (NOROOT),
  //    keep-caps stays off, the uid-change fixup stays on, and (when nothing is kept) ambient
  //    capabilities can never be raised again. All locked.
  unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                       SECBIT_KEEP_CAPS_LOCKED;
  if (keep == 0) bits |= SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return -errno;

  // 2. Bounding set: what no exec can ever give back.
  for (int cap = 0; cap <= kMaxCap; ++cap) {
    if (keep & (std::uint64_t{1} << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL && cap > prepared.last_cap) break;  // beyond the kernel's last cap
      return -errno;
    }
  }

  // 3. Ambient, then inheritable/permitted/effective = keep.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    const auto word = static_cast<std::uint32_t>(keep >> (32 * i));
    data[i].effective = word;
    data[i].permitted = word;
    data[i].inheritable = word;
  }
  if (syscall(SYS_capset, &header, data) != 0) return -errno;

  // 4. Kept capabilities survive execve only as ambient ones (NOROOT, non-root uids).
  for (int cap = 0; cap <= prepared.last_cap && cap <= kMaxCap; ++cap) {
    if (!(keep & (std::uint64_t{1} << cap))) continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return -errno;
  }

  // 5. No exec may ever raise privileges again (setuid bits, file capabilities).
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
  return 0;
}

}  // namespace kavach::process
