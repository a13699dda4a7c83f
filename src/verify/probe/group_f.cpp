// F — filesystem: read-only root, write allow-list, secrets, /proc path pivots, links, mounts.
// Writes use O_TMPFILE (an unnamed file that vanishes on close) or scratch names in the work dir;
// mount changes only happen inside a private mount namespace created by the check itself.
#include <fcntl.h>
#include <ftw.h>
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

bool exists(const std::string& p) {
  struct stat st{};
  return lstat(p.c_str(), &st) == 0;
}

// Try to create something in dir without leaving a trace: O_TMPFILE, else mkdir+rmdir.
// Returns 0 when the write was possible, else errno.
int try_create_in(const std::string& dir) {
  int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  int err = errno;
  if (err != EOPNOTSUPP && err != EISDIR && err != EINVAL) return err;
  std::string p = scratch_name(dir, "w");
  if (mkdir(p.c_str(), 0700) == 0) {
    rmdir(p.c_str());
    return 0;
  }
  return errno;
}

bool write_denied(int err) { return err == EROFS || err == EACCES || err == EPERM; }

Outcome f01_ro_root(const Expect&) {
  std::string d;
  bool writable = false;
  int decisive = 0;
  for (const char* dir : {"/", "/usr", "/etc", "/bin", "/lib"}) {
    if (!exists(dir)) continue;
    int r = try_create_in(dir);
    d += std::string(" create in ") + dir + ":" + errname(r) + ";";
    if (r == 0 || !write_denied(r)) writable = writable || r == 0;
    if (decisive == 0) decisive = r;
  }
  for (const char* file : {"/etc/passwd", "/etc/hostname"}) {
    int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOCTTY);  // no write follows
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    if (fd < 0 && err == ENOENT) continue;
    d += std::string(" open-w ") + file + ":" + errname(err) + ";";
    if (fd >= 0) writable = true;
  }
  if (writable) return fail("root filesystem writable:" + d);
  return pass(d, decisive);
}

Outcome f02_write_allowlist(const Expect& e) {
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  std::string work = e.str("workdir");
  std::string d;
  // Positive control: the work dir must be writable.
  std::string f = scratch_name(work, "pos");
  int fd = open(f.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  bool inside_ok = false;
  if (fd >= 0) {
    char back = 0;
    inside_ok = write(fd, "x", 1) == 1 && pread(fd, &back, 1, 0) == 1 && back == 'x';
    close(fd);
    unlink(f.c_str());
  }
  std::string why = inside_ok ? "" : " work dir not writable (" + errname(errno) + ");";
  std::vector<std::string> outside = {"/", "/usr", "/etc", "/var", "/home", "/root", "/opt", "/srv", "/mnt"};
  if (e.has("canary-file")) {
    std::string c = e.str("canary-file");
    outside.push_back(c.substr(0, c.rfind('/')));
  }
  if (e.has("scratch")) outside.push_back(e.str("scratch"));
  std::string report;
  int decisive = 0;
  for (const auto& dir : outside) {
    if (!exists(dir)) continue;
    if (starts_with(work, dir + "/") && dir != "/") continue;  // parent of the work dir on the host
    int r = try_create_in(dir);
    report += " " + dir + ":" + errname(r) + ";";
    if (r == 0) why += " " + dir + " writable;";
    if (decisive == 0) decisive = r;
  }
  if (!why.empty()) return fail(trim(why) + " |" + report, decisive);
  return pass("work dir writable; outside denied:" + report, decisive);
}

Outcome f03_secret_read(const Expect& e) {
  std::vector<std::string> secrets;
  if (e.has("canary-file")) secrets.push_back(e.str("canary-file"));
  for (const char* home : {static_cast<const char*>("/root"), static_cast<const char*>(getenv("HOME"))}) {
    if (home == nullptr) continue;
    for (const char* rel : {"/.ssh/id_rsa", "/.ssh/id_ed25519", "/.aws/credentials", "/.netrc",
                            "/.docker/config.json", "/.kube/config", "/.git-credentials",
                            "/.config/gcloud/credentials.db"}) {
      secrets.push_back(std::string(home) + rel);
    }
  }
  secrets.push_back("/etc/shadow");
  std::string d;
  std::string leaked;
  int decisive = 0;
  for (const auto& s : secrets) {
    int fd = open(s.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int err = errno;
    if (fd >= 0) {
      char buf[64] = {};
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      leaked += " " + s + " content='" + printable(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), 48) + "';";
      continue;
    }
    if (err != ENOENT) d += " " + s + ":" + errname(err) + ";";
    if (s == secrets.front()) decisive = err;
  }
  if (!leaked.empty()) return fail("readable:" + leaked, 0);
  return pass("no secret readable (canary " + errname(decisive) + ")" + d, decisive);
}

Outcome f04_proc_path_pivot(const Expect& e) {
  std::vector<std::string> reads;
  if (e.has("canary-file")) {
    std::string c = e.str("canary-file");
    reads = {"/proc/self/root" + c, "/proc/thread-self/root" + c, "/" + c, "/." + c,
             "/proc/self/cwd/../../../../../../../.." + c};
  }
  if (e.has("canary-fd")) reads.push_back("/proc/self/fd/" + e.str("canary-fd"));
  std::string leaked;
  std::string d;
  for (const auto& p : reads) {
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      leaked += " read " + p + ";";
    } else {
      d += " " + p + ":" + errname(errno) + ";";
    }
  }
  for (const char* dir : {"/proc/self/root/usr", "//usr", "/./etc", "/proc/self/root/etc"}) {
    if (!exists(dir)) continue;
    int r = try_create_in(dir);
    if (r == 0) leaked += std::string(" write ") + dir + ";";
    else d += std::string(" create ") + dir + ":" + errname(r) + ";";
  }
  if (reads.empty() && d.empty() && leaked.empty()) return skip("harness gave no --canary-file");
  if (!leaked.empty()) return fail("deny rules bypassed:" + leaked + " |" + d);
  return pass("deny rules hold:" + d);
}

Outcome f05_hardlink_out(const Expect& e) {
  std::string work = e.str("workdir", "/tmp");
  std::vector<std::string> sources = {"/etc/passwd", "/usr/bin/env"};
  if (e.has("canary-file")) sources.insert(sources.begin(), e.str("canary-file"));
  std::string d;
  std::string linked;
  int decisive = 0;
  for (const auto& s : sources) {
    std::string dst = scratch_name(work, "link");
    int r = link(s.c_str(), dst.c_str());
    int err = errno;
    if (r == 0) {
      unlink(dst.c_str());
      linked += " " + s + ";";
      continue;
    }
    d += " " + s + ":" + errname(err) + ";";
    if (decisive == 0 && err != ENOENT) decisive = err;
  }
  if (!linked.empty()) return fail("hard link into the work dir created for:" + linked);
  return pass(d, decisive);
}

Outcome f06_mount_deny(const Expect&) {
  // Each call is harmless when permitted: it fails with EINVAL/EFAULT/ENOENT after the
  // permission check, or (open_tree) only clones a detached tree that is closed at once.
  struct Case {
    const char* name;
    std::function<long()> fn;
  };
  std::vector<Case> cases = {
      {"mount", [] { return static_cast<long>(mount("none", "/", nullptr, 0, nullptr)); }},
      {"umount2", [] { return static_cast<long>(umount2("/", MNT_EXPIRE | MNT_DETACH)); }},
      {"fsopen", [] { return syscall(SYS_fsopen, "tmpfs", 0x80000000U); }},
      {"fsmount", [] { return syscall(SYS_fsmount, -1, 0xffffffffU, 0); }},
      {"move_mount", [] { return syscall(SYS_move_mount, -1, "", -1, "", 0xffffffffU); }},
      {"open_tree", [] {
         long fd = syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
         if (fd >= 0) close(static_cast<int>(fd));
         return fd;
       }},
      {"mount_setattr", [] { return syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, 1L, 32L); }},
      {"pivot_root", [] { return syscall(SYS_pivot_root, "/kavach-probe-none", "/kavach-probe-none"); }},
  };
  std::string d;
  bool reached = false;
  for (const auto& c : cases) {
    Attempt a = attempt(c.fn);
    d += std::string(" ") + c.name + ":" + a.describe() + ";";
    if (!a.denied()) reached = true;
  }
  if (reached) return fail("mount API reachable:" + d);
  return pass(d, EPERM);
}

unsigned long mount_flags_of(const MountEntry& m) {
  unsigned long f = 0;
  if (m.has_option("nosuid")) f |= MS_NOSUID;
  if (m.has_option("nodev")) f |= MS_NODEV;
  if (m.has_option("noexec")) f |= MS_NOEXEC;
  if (m.has_option("noatime")) f |= MS_NOATIME;
  if (m.has_option("nodiratime")) f |= MS_NODIRATIME;
  if (m.has_option("relatime")) f |= MS_RELATIME;
  return f;
}

Outcome f07_remount_rw(const Expect& e) {
  bool host_ns = false;
  std::uint64_t mine = ns_inode("mnt");
  for (const auto& item : e.list("host-ns")) {
    if (starts_with(item, "mnt=")) host_ns = parse_u64(item.substr(4)).value_or(0) == mine;
  }
  bool host_known = e.has("host-ns");
  // Codes: 0 remount succeeded (hole); 10 no target; 11 not attempted (safety); -errno refused.
  Attempt a = attempt([&]() -> long {
    bool private_ns = unshare(CLONE_NEWNS) == 0;
    if (private_ns) (void)mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    else if (!host_known || host_ns) return 11;  // never touch a namespace that may be the host's
    // Mounts that are read-only per mount (the superblock itself rw): the ones a policy makes.
    std::vector<std::pair<std::string, unsigned long>> targets;
    for (const auto& m : mountinfo()) {
      bool sb_ro = false;
      for (const auto& o : split(m.super_options, ',')) sb_ro = sb_ro || o == "ro";
      if (m.has_option("ro") && !sb_ro && m.fstype != "proc" && m.fstype != "sysfs" && targets.size() < 4) {
        targets.emplace_back(m.mount_point, mount_flags_of(m));
      }
    }
    if (targets.empty() && private_ns) {
      // No read-only mount here: make one in the private namespace and test unlocking it.
      if (mount("/usr", "/usr", nullptr, MS_BIND, nullptr) != 0 ||
          mount(nullptr, "/usr", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
        return 10;
      }
      targets.emplace_back("/usr", 0);
    }
    if (targets.empty()) return 10;
    long result = -EPERM;
    for (const auto& [target, keep] : targets) {
      if (mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | keep, nullptr) != 0) {
        result = -errno;
        continue;
      }
      struct statvfs sv{};
      if (statvfs(target.c_str(), &sv) == 0 && !(sv.f_flag & ST_RDONLY)) return 0;
    }
    return result;
  });
  if (a.killed) return pass("remount attempt killed (" + a.describe() + ")");
  if (a.ret == 11) return pass("no private namespace available; host namespace left untouched", EPERM);
  if (a.ret == 10) return pass("no read-only mount to test and none can be made", EPERM);
  if (a.ret == 0) return fail("a read-only mount was remounted read-write");
  int err = a.ret < 0 ? static_cast<int>(-a.ret) : 0;
  return pass("remount rw refused: " + errname(err), err);
}

Outcome f08_shocker(const Expect& e) {
  std::string d;
  bool hole = false;
  Attempt n2h = attempt([] {
    char buf[sizeof(file_handle) + MAX_HANDLE_SZ];
    auto* fh = reinterpret_cast<file_handle*>(buf);
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    return static_cast<long>(name_to_handle_at(AT_FDCWD, "/", fh, &mount_id, 0));
  });
  d += "name_to_handle_at(/):" + n2h.describe() + ";";
  if (!n2h.denied()) hole = true;
  if (e.has("canary-handle")) {
    std::string h = e.str("canary-handle");
    auto colon = h.find(':');
    int type = std::atoi(h.substr(0, colon).c_str());
    std::string hexs = colon == std::string::npos ? "" : h.substr(colon + 1);
    Attempt o = attempt([&]() -> long {
      char buf[sizeof(file_handle) + MAX_HANDLE_SZ] = {};
      auto* fh = reinterpret_cast<file_handle*>(buf);
      std::size_t n = hexs.size() / 2;
      if (n > MAX_HANDLE_SZ) n = MAX_HANDLE_SZ;
      auto* bytes = reinterpret_cast<unsigned char*>(buf) + offsetof(file_handle, f_handle);
      for (std::size_t i = 0; i < n; ++i) {
        bytes[i] = static_cast<unsigned char>(std::strtoul(hexs.substr(2 * i, 2).c_str(), nullptr, 16));
      }
      fh->handle_bytes = static_cast<unsigned>(n);
      fh->handle_type = type;
      int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      long fd = syscall(SYS_open_by_handle_at, root, fh, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) close(static_cast<int>(fd));
      return fd;
    });
    d += " open_by_handle_at(canary):" + o.describe() + ";";
    if (o.ok()) return fail("host canary opened by file handle (shocker):" + d);
    if (!o.denied()) hole = true;
  } else {
    Attempt o = attempt([] { return syscall(SYS_open_by_handle_at, -1, nullptr, 0); });
    d += " open_by_handle_at(-1):" + o.describe() + ";";
    if (!o.denied()) hole = true;
  }
  if (hole) return fail("file handle syscalls reachable: " + d);
  return pass(d, EPERM);
}

Outcome f09_chroot(const Expect& e) {
  std::string work = e.str("workdir", "/tmp");
  std::string jail = scratch_name(work, "jail");
  bool made = mkdir(jail.c_str(), 0700) == 0;
  std::string canary = e.str("canary-file");
  // 1 = chroot allowed and the double-chroot escape found the host canary; 2 = allowed, no canary.
  Attempt a = attempt([&]() -> long {
    if (chroot("/") != 0) return -1;
    if (!made || chroot(jail.c_str()) != 0) return 2;
    for (int i = 0; i < 64; ++i) (void)!chdir("..");
    if (chroot(".") != 0) return 2;
    if (!canary.empty() && access(canary.c_str(), R_OK) == 0) return 1;
    return 2;
  });
  if (made) rmdir(jail.c_str());
  if (a.ret == 1) return fail("chroot allowed and double-chroot escape reached the host canary");
  if (a.ret == 2) {
    if (canary.empty()) return fail("chroot allowed (no --canary-file to test the escape)");
    return pass("chroot allowed by policy, but the escape finds no host canary");
  }
  if (a.killed) return pass("chroot killed (" + a.describe() + ")");
  return pass("chroot refused: " + errname(a.err), a.err);
}

const MountEntry* mount_of(const std::vector<MountEntry>& ms, const std::string& path) {
  const MountEntry* best = nullptr;
  for (const auto& m : ms) {
    const std::string& mp = m.mount_point;
    bool under = path == mp || mp == "/" || starts_with(path, mp + "/");
    if (under && (best == nullptr || mp.size() >= best->mount_point.size())) best = &m;
  }
  return best;
}

Outcome f10_mknod(const Expect& e) {
  std::string work = e.str("workdir", "/tmp");
  std::string d;
  bool made = false;
  int decisive = 0;
  for (auto [type, dev, name] : {std::tuple{S_IFCHR, makedev(1, 3), "char 1:3"},
                                 std::tuple{S_IFBLK, makedev(7, 0), "block 7:0"}}) {
    std::string p = scratch_name(work, "node");
    int r = mknod(p.c_str(), type | 0600, dev);
    int err = errno;
    if (r == 0) {
      unlink(p.c_str());
      made = true;
      d += std::string(" mknod ") + name + ": CREATED;";
    } else {
      d += std::string(" mknod ") + name + ":" + errname(err) + ";";
      if (decisive == 0) decisive = err;
    }
  }
  auto ms = mountinfo();
  std::string weak;
  for (const std::string& path : {work, std::string("/tmp"), std::string("/dev/shm")}) {
    const MountEntry* m = mount_of(ms, path);
    if (m == nullptr || m->has_option("ro")) continue;
    std::string missing;
    if (!m->has_option("nodev")) missing += " nodev";
    if (!m->has_option("nosuid")) missing += " nosuid";
    if (!missing.empty()) weak += " " + path + " (mount " + m->mount_point + ") lacks" + missing + ";";
  }
  if (made) return fail("device node created:" + d + weak);
  if (!weak.empty()) return fail("writable mounts without nodev/nosuid:" + weak + d, decisive);
  return pass(d + " writable mounts are nodev,nosuid", decisive);
}

Outcome f11_copy_out_race(const Expect& e) {
  if (!e.has("workdir") || !e.has("canary-file")) return skip("harness gave no --workdir/--canary-file");
  // Plant links to the host canary in the outputs; the harness's copy-out must not follow them.
  std::string work = e.str("workdir");
  std::string c = e.str("canary-file");
  int made = 0;
  for (const char* n : {"/out-link", "/out-dir-link"}) {
    std::string p = work + n;
    unlink(p.c_str());
    if (symlink(n[5] == 'd' ? c.substr(0, c.rfind('/')).c_str() : c.c_str(), p.c_str()) == 0) ++made;
  }
  // Swap a regular file and a link quickly for a while, so a copy that races sees both.
  std::string swap = work + "/out-swap";
  std::string tmp = work + "/out-swap.tmp";
  double end = now_ms() + 300;
  int swaps = 0;
  while (now_ms() < end) {
    int fd = open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      (void)!write(fd, "benign", 6);
      close(fd);
    }
    (void)rename(tmp.c_str(), swap.c_str());
    (void)symlink(c.c_str(), tmp.c_str());
    (void)rename(tmp.c_str(), swap.c_str());
    ++swaps;
  }
  return info("harness-observed; planted " + std::to_string(made) + " links to the canary, " +
              std::to_string(swaps) + " file/link swaps of out-swap");
}

Outcome f12_fifo_trap(const Expect& e) {
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  std::string work = e.str("workdir");
  std::string d;
  std::string fifo = work + "/trap.fifo";
  unlink(fifo.c_str());
  d += std::string(" fifo:") + (mkfifo(fifo.c_str(), 0600) == 0 ? "planted" : errname(errno));
  std::string sockp = work + "/trap.sock";
  unlink(sockp.c_str());
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sockp.c_str(), sizeof sa.sun_path - 1);
  d += std::string(" socket:") +
       (s >= 0 && bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 ? "planted" : errname(errno));
  if (s >= 0) close(s);
  std::string node = work + "/trap.dev";
  unlink(node.c_str());
  d += std::string(" chardev:") + (mknod(node.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0 ? "planted" : errname(errno));
  return info("harness-observed;" + d);
}

// F13 helpers: create the directories on the way (the ancestors of a protected name may be
// made; only the name itself is refused), remove a scratch tree afterwards.
bool exists_nofollow(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0;
}

void make_parents(const std::string& path) {
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (path[i] != '/') continue;
    (void)mkdir(path.substr(0, i).c_str(), 0755);
  }
}

int remove_entry(const char* p, const struct stat*, int type, struct FTW*) {
  return type == FTW_DP ? rmdir(p) : unlink(p);
}

void remove_tree(const std::string& p) { (void)nftw(p.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

long touch_file(const std::string& p) {
  const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

// F13: the policy's protected names below the writable paths (.git/hooks, .envrc, ...) cannot be
// made — at the top of the work dir and deeper, when they do not exist yet, and through a symlink,
// a rename (also of a whole tree onto an ancestor such as .git), a hard link, O_TMPFILE or mkdir.
// Existing ones deeper down (the harness plants <workdir>/nested/<name>) cannot be written,
// truncated, chmod-ed, replaced, reopened for writing through /proc/self/fd or hard-linked out.
Outcome f13_protected_names(const Expect& e) {
  const std::vector<std::string> names = e.list("protected-names");
  if (names.empty()) return skip("the policy protects no names below writable paths");
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  const std::string work = e.str("workdir");
  const std::string base = scratch_name(work, "f13");
  if (mkdir(base.c_str(), 0755) != 0) return fail("cannot make scratch dir " + base + ": " + errname(errno));
  std::string leaked;
  std::string d;
  auto check = [&](const std::string& what, const std::string& path, const Attempt& a) {
    const bool made = exists_nofollow(path);
    d += " " + what + ":" + (made ? "MADE" : a.describe()) + ";";
    if (made) leaked += " " + what;
  };
  int n = 0;
  for (const auto& name : names) {
    for (const char* depth : {"", "/a/b"}) {
      const std::string root = base + "/t" + std::to_string(n++) + depth;
      const std::string target = root + "/" + name;
      make_parents(target);
      const std::string tag = name + (depth[0] != '\0' ? "@depth2" : "");
      check(tag + " create", target, attempt([&] { return touch_file(target); }));
      check(tag + " symlink", target, attempt([&] { return static_cast<long>(symlink("x", target.c_str())); }));
      const std::string other = root + "/other";
      (void)touch_file(other);
      check(tag + " rename-onto", target, attempt([&] { return static_cast<long>(rename(other.c_str(), target.c_str())); }));
      (void)touch_file(other);
      check(tag + " link-onto", target, attempt([&] { return static_cast<long>(link(other.c_str(), target.c_str())); }));
      const std::string lnk = root + "/lnk";
      (void)symlink(target.c_str(), lnk.c_str());
      check(tag + " create-via-symlink", target, attempt([&] { return touch_file(lnk); }));
      check(tag + " mkdir", target, attempt([&] { return static_cast<long>(mkdir(target.c_str(), 0755)); }));
      const std::string parent = target.substr(0, target.rfind('/'));
      check(tag + " tmpfile-link", target, attempt([&] {
              const int fd = open(parent.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
              if (fd < 0) return -1L;
              const std::string self = "/proc/self/fd/" + std::to_string(fd);
              return static_cast<long>(linkat(AT_FDCWD, self.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW));
            }));
      // A prepared tree moved onto the first component (`mv planted .git`).
      const auto slash = name.find('/');
      if (slash != std::string::npos) {
        const std::string fresh = root + "-tree";
        const std::string tree = fresh + "/planted";
        make_parents(tree + "/" + name.substr(slash + 1));
        (void)touch_file(tree + "/" + name.substr(slash + 1));
        check(tag + " tree-onto-ancestor", fresh + "/" + name,
              attempt([&] { return static_cast<long>(rename(tree.c_str(), (fresh + "/" + name.substr(0, slash)).c_str())); }));
      }
    }
  }
  // Existing protected files below the top (planted by the harness).
  for (const auto& name : names) {
    const std::string p = work + "/nested/" + name;
    struct stat before {};
    if (lstat(p.c_str(), &before) != 0 || !S_ISREG(before.st_mode)) continue;
    auto changed = [&](const std::string& what, const Attempt& a) {
      struct stat now {};
      const bool c = lstat(p.c_str(), &now) != 0 || now.st_size != before.st_size ||
                     now.st_mode != before.st_mode || now.st_ino != before.st_ino;
      d += " nested/" + name + " " + what + ":" + (c ? "CHANGED" : a.describe()) + ";";
      if (c) leaked += " nested/" + name + " " + what;
    };
    changed("append", attempt([&] {
              const int fd = open(p.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
              return fd < 0 ? -1L : static_cast<long>(write(fd, "x", 1));
            }));
    changed("truncate", attempt([&] { return static_cast<long>(truncate(p.c_str(), 0)); }));
    changed("chmod", attempt([&] { return static_cast<long>(chmod(p.c_str(), 0777)); }));
    changed("reopen-rw", attempt([&] {
              const int ro = open(p.c_str(), O_RDONLY | O_CLOEXEC);
              if (ro < 0) return -1L;
              const std::string self = "/proc/self/fd/" + std::to_string(ro);
              const int fd = open(self.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
              return fd < 0 ? -1L : static_cast<long>(write(fd, "x", 1));
            }));
    const std::string repl = base + "/replacement";
    (void)touch_file(repl);
    changed("replace", attempt([&] { return static_cast<long>(rename(repl.c_str(), p.c_str())); }));
    const std::string alias = base + "/alias";
    Attempt ln = attempt([&] { return static_cast<long>(link(p.c_str(), alias.c_str())); });
    check("nested/" + name + " link-out", alias, ln);
  }
  remove_tree(base);
  if (!leaked.empty()) return fail("protected names made or changed:" + leaked + " |" + d);
  return pass("all refused:" + d);
}

}  // namespace

void add_group_f(std::vector<Probe>& out) {
  out.push_back({"F01", "ro-root", f01_ro_root});
  out.push_back({"F02", "write-allowlist", f02_write_allowlist});
  out.push_back({"F03", "secret-read", f03_secret_read});
  out.push_back({"F04", "proc-path-pivot", f04_proc_path_pivot});
  out.push_back({"F05", "hardlink-out", f05_hardlink_out});
  out.push_back({"F06", "mount-deny", f06_mount_deny});
  out.push_back({"F07", "remount-rw", f07_remount_rw});
  out.push_back({"F08", "shocker", f08_shocker});
  out.push_back({"F09", "chroot", f09_chroot});
  out.push_back({"F10", "mknod", f10_mknod});
  out.push_back({"F11", "copy-out-race", f11_copy_out_race});
  out.push_back({"F12", "fifo-trap", f12_fifo_trap});
  out.push_back({"F13", "protected-names", f13_protected_names, 20000});
}

}  // namespace probe
