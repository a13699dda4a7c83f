// P — privilege: capabilities, setuid/file-cap binaries, identity changes, uid mapping.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

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

constexpr long kSysFchmodat2 = 452;  // x86_64 and i386 (kernel 6.6)

// What P07 looks for after each attempt: a set-id mode, a device node or a file capability on
// the file the attempt made in the (host-backed) work dir.
std::string host_hazard(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return {};
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) return "device node";
  std::string h;
  if (st.st_mode & S_ISUID) h += "set-uid ";
  if (st.st_mode & S_ISGID && !S_ISDIR(st.st_mode)) h += "set-gid ";
  char buf[64];
  if (lgetxattr(path.c_str(), "security.capability", buf, sizeof buf) > 0) h += "file-capability ";
  return h;
}

long make_plain(const std::string& p) {
  const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

// P07: through a writable path, every way to leave a set-id file, a device node or a file
// capability on the host disk (where the host, not the sandbox's nosuid mount, decides).
Outcome p07_host_setid(const Expect& e) {
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  const std::string dir = e.str("workdir");
  struct Case {
    const char* name;
    bool pre_create;  // the file exists (mode 0755) before the attempt
    std::function<long(const std::string&)> fn;
  };
  // VFS_CAP_REVISION_2 with CAP_NET_RAW permitted and effective.
  static const unsigned char kFcap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00};
  const std::vector<Case> cases = {
      {"open(O_CREAT,04755)", false, [](const std::string& p) { return static_cast<long>(open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755)); }},
      {"openat(O_CREAT,02755)", false, [](const std::string& p) { return static_cast<long>(openat(AT_FDCWD, p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 02755)); }},
      {"creat(06755)", false, [](const std::string& p) { return static_cast<long>(creat(p.c_str(), 06755)); }},
      {"chmod(04755)", true, [](const std::string& p) { return static_cast<long>(chmod(p.c_str(), 04755)); }},
      {"fchmod(02755)", true, [](const std::string& p) {
         const int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
         return fd < 0 ? -1L : static_cast<long>(fchmod(fd, 02755));
       }},
      {"fchmodat(04755)", true, [](const std::string& p) { return static_cast<long>(fchmodat(AT_FDCWD, p.c_str(), 04755, 0)); }},
      {"fchmodat2(04755)", true, [](const std::string& p) { return syscall(kSysFchmodat2, AT_FDCWD, p.c_str(), 04755, 0); }},
      {"mknod(S_IFREG|04755)", false, [](const std::string& p) { return static_cast<long>(mknod(p.c_str(), S_IFREG | 04755, 0)); }},
      {"mknod(S_IFCHR 1:3)", false, [](const std::string& p) { return static_cast<long>(mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3))); }},
      {"O_TMPFILE(04755)+link", false, [dir](const std::string& p) {
         const int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 04755);
         if (fd < 0) return -1L;
         const std::string self = "/proc/self/fd/" + std::to_string(fd);
         return static_cast<long>(linkat(AT_FDCWD, self.c_str(), AT_FDCWD, p.c_str(), AT_SYMLINK_FOLLOW));
       }},
      {"setxattr(security.capability)", true, [](const std::string& p) {
         return static_cast<long>(setxattr(p.c_str(), "security.capability", kFcap, sizeof kFcap, 0));
       }},
  };
  std::string d;
  std::string leaked;
  int err = 0;
  for (const auto& c : cases) {
    const std::string path = scratch_name(dir, "p07");
    if (c.pre_create && make_plain(path) != 0) {
      d += std::string(" ") + c.name + ":setup " + errname(errno) + ";";
      continue;
    }
    Attempt a = attempt([&] { return c.fn(path); });
    const std::string hazard = host_hazard(path);
    d += std::string(" ") + c.name + ":" + (hazard.empty() ? a.describe() : "LEFT " + hazard) + ";";
    if (!hazard.empty()) leaked += std::string(" ") + c.name;
    if (err == 0 && !a.ok()) err = a.err;
    (void)unlink(path.c_str());
  }
  if (!leaked.empty()) return fail("left on the host disk by:" + leaked + " |" + d);
  return pass("nothing set-id, no device, no file capability:" + d, err);
}

}  // namespace

void add_group_p(std::vector<Probe>& out) {
  out.push_back({"P01", "caps-empty", p01_caps_empty});
  out.push_back({"P02", "setuid-exec", p02_setuid_exec});
  out.push_back({"P03", "filecap-exec", p03_filecap_exec});
  out.push_back({"P04", "setuid-calls", p04_setuid_calls});
  out.push_back({"P05", "host-uid-mapping", p05_host_uid_mapping});
  out.push_back({"P06", "securebits", p06_securebits});
  out.push_back({"P07", "host-setid", p07_host_setid, 15000});
}

}  // namespace probe
