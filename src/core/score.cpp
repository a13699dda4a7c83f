// Strength score: backend base + modifiers for APPLIED controls only, with a breakdown.
#include "kavach/score.hpp"

#include <algorithm>
#include <string>

namespace kavach {
namespace {

// One modifier: the control, the mode it needs ("" = any), its points and label.
struct Modifier {
  Control control;
  std::string_view mode;
  int points;
  std::string_view label;
};

// The whole table (max +34; the host's network costs 15): a reader can check why a run scored what it did.
constexpr Modifier kModifiers[] = {
    {Control::seccomp, "strict", 6, "seccomp strict allowlist"},
    {Control::seccomp, "custom", 6, "seccomp custom allowlist"},
    {Control::seccomp, "basic", 3, "seccomp dangerous-syscall denylist"},
    {Control::landlock_fs, "", 4, "landlock filesystem rules"},
    {Control::landlock_net, "", 1, "landlock TCP port rules"},
    {Control::landlock_scopes, "", 1, "landlock signal/abstract-socket scopes"},
    {Control::network, "off", 4, "network off"},
    {Control::network, "loopback", 2, "network loopback only"},
    {Control::network, "allowlist", 1, "network allowlist (egress proxy)"},
    {Control::network, "host", -15, "network: the host's own (explicit opt-in)"},
    {Control::readonly_root, "", 2, "read-only root"},
    {Control::cgroup_memory, "", 2, "memory limit"},
    {Control::cgroup_cpu, "", 1, "cpu quota"},
    {Control::cgroup_pids, "", 2, "pids limit"},
    {Control::capabilities, "", 3, "capabilities dropped"},
    {Control::unprivileged_uid, "", 2, "sandbox user mapped to unprivileged host id"},
    {Control::no_new_privs, "", 1, "no_new_privs"},
    {Control::rlimits, "", 1, "rlimits (core 0, nofile, fsize, cpu)"},
    {Control::host_safety, "", 1, "host safety (no set-id files, device nodes, file caps)"},
    {Control::protected_paths, "", 1, "protected paths inside writable ones"},
    {Control::disk, "", 1, "disk quota on the writable paths"},
};

// Namespaces count as one modifier, only when all four process-visible ones hold.
constexpr Control kCoreNamespaces[] = {Control::ns_pid, Control::ns_mount, Control::ns_ipc,
                                       Control::ns_uts};

}  // namespace

int base_score(BackendKind kind) {
  switch (kind) {
    case BackendKind::noop: return 0;
    case BackendKind::process: return 50;
    case BackendKind::oci: return 55;
    case BackendKind::wasm: return 65;
    case BackendKind::gvisor: return 70;
    case BackendKind::sgx: return 80;
    case BackendKind::syagnos: return 80;
    case BackendKind::sev: return 82;
    case BackendKind::tdx: return 85;
    case BackendKind::firecracker: return 90;
  }
  return 0;
}

std::string score_label(int value) {
  if (value < 30) return "minimal";
  if (value < 50) return "basic";
  if (value < 70) return "standard";
  if (value < 85) return "hardened";
  return "fortress";
}

StrengthScore compute_score(BackendKind kind, const EnforcementReport& report) {
  StrengthScore s;
  const int base = base_score(kind);
  s.breakdown.push_back({"base: " + std::string(to_string(kind)), base});
  int total = base;
  for (const Modifier& m : kModifiers) {
    const ControlStatus* st = report.find(m.control);
    if (st == nullptr || !st->applied) continue;
    if (!m.mode.empty() && st->mode != m.mode) continue;
    s.breakdown.push_back({std::string(m.label), m.points});
    total += m.points;
  }
  const bool all_ns = std::all_of(std::begin(kCoreNamespaces), std::end(kCoreNamespaces),
                                  [&](Control c) { return report.applied(c); });
  if (all_ns) {
    s.breakdown.push_back({"pid, mount, ipc, uts namespaces", 1});
    total += 1;
  }
  // A requested control that was not applied is shown with 0 points so the gap is visible.
  for (const ControlStatus& st : report.degraded()) {
    s.breakdown.push_back({"not applied: " + std::string(to_string(st.control)) +
                               (st.detail.empty() ? "" : " (" + st.detail + ")"),
                           0});
  }
  s.value = std::clamp(total, 0, 100);
  s.label = score_label(s.value);
  return s;
}

}  // namespace kavach
