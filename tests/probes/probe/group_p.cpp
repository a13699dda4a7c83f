// P — privilege: capabilities, setuid/file-cap binaries, identity changes, uid mapping.
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

struct Caps {
  unsigned long long eff = 0, prm = 0, inh = 0;
  bool ok = false;
};

Caps capget_self() {
  Caps c;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (syscall(SYS_capget, &hdr, d) != 0) return c;
  auto join = [](unsigned lo, unsigned hi) {
    return (static_cast<unsigned long long>(hi) << 32) | lo;
  };
  c.eff = join(d[0].effective, d[1].effective);
  c.prm = join(d[0].permitted, d[1].permitted);
  c.inh = join(d[0].inheritable, d[1].inheritable);
  c.ok = true;
  return c;
}

std::string hex(unsigned long long v) {
  char b[32];
  std::snprintf(b, sizeof b, "%llx", v);
  return b;
}

unsigned long long bounding_set() {
  unsigned long long v = 0;
  for (int cap = 0; cap < 64; ++cap) {
    int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break;
    if (r == 1) v |= 1ULL << cap;
  }
  return v;
}

unsigned long long ambient_set() {
  unsigned long long v = 0;
  for (int cap = 0; cap < 64; ++cap) {
    int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
    if (r < 0) break;
    if (r == 1) v |= 1ULL << cap;
  }
  return v;
}

Outcome p01_caps_empty(const Expect& e) {
  Caps c = capget_self();
  if (!c.ok) return fail("capget failed", errno);
  unsigned long long bnd = bounding_set();
  unsigned long long amb = ambient_set();
  unsigned long long want_bnd = parse_u64(e.str("capbnd", "0"), 16).value_or(0);
  std::string d = "eff=" + hex(c.eff) + " prm=" + hex(c.prm) + " inh=" + hex(c.inh) +
                  " amb=" + hex(amb) + " bnd=" + hex(bnd) + " (want bnd=" + hex(want_bnd) + ")";
  if (c.eff != 0 || c.prm != 0 || c.inh != 0 || amb != 0 || bnd != want_bnd) return fail(d);
  return pass(d);
}

// When we are privileged enough (host root), become nobody first so that a setuid/file-cap
// binary has something to gain; inside a sandbox this fails harmlessly and we stay who we are.
void drop_to_nobody() {
  if (getuid() != 0) return;
  (void)setgroups(0, nullptr);
  (void)setresgid(65534, 65534, 65534);
  (void)setresuid(65534, 65534, 65534);
}

Outcome exec_gain_check(const Expect& e, const char* key, const char* what) {
  if (!e.has(key)) return skip(std::string("harness gave no --") + key);
  std::string bin = e.str(key);
  Captured c = run_capture(bin, {bin, "creds"}, [] {
    drop_to_nobody();
    // Report our pre-exec identity on stderr-free channel: encoded in the environment is not
    // needed; the comparison uses uid (unchanged by exec) and capeff (0 after dropping).
  });
  if (c.timed_out) return fail(std::string(what) + ": helper timed out");
  if (!WIFEXITED(c.status) || WEXITSTATUS(c.status) != 0) {
    if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 127) {
      return pass(std::string(what) + ": binary not executable in the sandbox (exec failed)");
    }
    return pass(std::string(what) + ": helper did not run (status " + std::to_string(c.status) + ")");
  }
  std::string uid = kv_get(c.out, "uid");
  std::string euid = kv_get(c.out, "euid");
  std::string capeff = kv_get(c.out, "capeff");
  std::string d = std::string(what) + " ran as uid=" + uid + " euid=" + euid + " capeff=" + capeff;
  if (uid.empty() || euid.empty()) return fail(d + " (unparsable helper output)");
  // Before exec the child held no capabilities unless it stayed host root; any gain is a hole.
  Caps before = capget_self();
  bool stayed_root = getuid() == 0 && uid == "0";
  if (euid != uid) return fail(d + ": euid changed across exec");
  if (!stayed_root && capeff != "0") return fail(d + ": gained capabilities");
  if (stayed_root && before.ok && parse_u64(capeff, 16).value_or(0) > before.eff) {
    return fail(d + ": gained capabilities");
  }
  return pass(d);
}

Outcome p02_setuid_exec(const Expect& e) { return exec_gain_check(e, "setuid-bin", "setuid-root binary"); }
Outcome p03_filecap_exec(const Expect& e) { return exec_gain_check(e, "filecap-bin", "file-cap binary"); }

Outcome p04_setuid_calls(const Expect&) {
  uid_t other = getuid() == 65534 ? 0 : 65534;
  gid_t ogid = getgid() == 65534 ? 0 : 65534;
  struct Case {
    const char* name;
    std::function<long()> fn;
  };
  std::vector<Case> cases = {
      {"setuid", [&] { return static_cast<long>(setuid(other)); }},
      {"setresuid", [&] { return static_cast<long>(setresuid(other, other, other)); }},
      {"setgid", [&] { return static_cast<long>(setgid(ogid)); }},
      {"setgroups", [] { return static_cast<long>(setgroups(0, nullptr)); }},
  };
  std::string d;
  bool any = false;
  int err = 0;
  for (const auto& c : cases) {
    Attempt a = attempt(c.fn);
    d += std::string(" ") + c.name + ":" + a.describe() + ";";
    if (a.ok()) any = true;
    else if (err == 0) err = a.err;
  }
  std::string who = "uid=" + std::to_string(getuid()) + " target=" + std::to_string(other);
  if (any) return fail(who + " identity change allowed:" + d);
  return pass(who + " all refused:" + d, err);
}

struct Mapped {
  long long host = -1;
  std::string map;
};

Mapped host_id(const std::string& file, unsigned id) {
  Mapped m;
  auto text = read_file(file);
  if (!text) return m;
  m.map = trim(*text);
  for (const auto& line : split(*text, '\n')) {
    auto f = split(line, ' ');
    std::vector<std::string> nums;
    for (auto& x : f) {
      if (!x.empty()) nums.push_back(x);
    }
    if (nums.size() != 3) continue;
    unsigned long long in = parse_u64(nums[0]).value_or(0), out = parse_u64(nums[1]).value_or(0),
                       cnt = parse_u64(nums[2]).value_or(0);
    if (id >= in && id - in < cnt) m.host = static_cast<long long>(out + (id - in));
  }
  return m;
}

Outcome p05_host_uid_mapping(const Expect&) {
  Mapped u = host_id("/proc/self/uid_map", getuid());
  Mapped g = host_id("/proc/self/gid_map", getgid());
  std::string d = "uid " + std::to_string(getuid()) + "->host " + std::to_string(u.host) + ", gid " +
                  std::to_string(getgid()) + "->host " + std::to_string(g.host) + " (uid_map: " +
                  printable(u.map, 60) + ")";
  if (u.host < 0) return fail("uid_map unreadable or uid unmapped: " + d);
  if (u.host == 0 || g.host == 0) return fail(d);
  return pass(d);
}

// Root regaining capabilities through execve: drop all capability sets, stay uid 0, exec.
Outcome p06_securebits(const Expect& e) {
  int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  std::string sb = "securebits=0x" + hex(static_cast<unsigned long long>(bits < 0 ? 0 : bits));
  bool noroot_locked = bits >= 0 && (bits & SECBIT_NOROOT) && (bits & SECBIT_NOROOT_LOCKED);
  if (getuid() != 0 && geteuid() != 0) return pass(sb + "; not uid 0, exec grants nothing");
  std::string self = self_path(e);
  Captured c = run_capture(self, {self, "creds"}, [] {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2]{};
    (void)syscall(SYS_capset, &hdr, d);  // empty effective/permitted/inheritable, still uid 0
  });
  std::string capeff = kv_get(c.out, "capeff");
  if (capeff.empty()) return fail(sb + "; creds helper failed (status " + std::to_string(c.status) + ")");
  std::string d = sb + (noroot_locked ? " (NOROOT locked)" : "") + "; uid 0 after dropping caps, exec -> capeff=" + capeff;
  if (capeff != "0") return fail(d + ": root regains capabilities through exec");
  return pass(d);
}

}  // namespace

void add_group_p(std::vector<Probe>& out) {
  out.push_back({"P01", "caps-empty", p01_caps_empty});
  out.push_back({"P02", "setuid-exec", p02_setuid_exec});
  out.push_back({"P03", "filecap-exec", p03_filecap_exec});
  out.push_back({"P04", "setuid-calls", p04_setuid_calls});
  out.push_back({"P05", "host-uid-mapping", p05_host_uid_mapping});
  out.push_back({"P06", "securebits", p06_securebits});
}

}  // namespace probe
