// S — /proc and /sys: host-scoped knobs, masked files, kernel address leaks, parent's environ.
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

Outcome s01_proc_sys_ro(const Expect&) {
  std::string d;
  std::string open_w;
  int decisive = 0;
  for (const char* f : {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                        "/proc/sys/kernel/hostname"}) {
    int fd = open(f, O_WRONLY | O_CLOEXEC);  // no write follows
    int err = errno;
    if (fd >= 0) {
      close(fd);
      open_w += std::string(" ") + f + ";";
    } else {
      d += std::string(" ") + f + ":" + errname(err) + ";";
      if (decisive == 0) decisive = err;
    }
  }
  if (!open_w.empty()) return fail("writable:" + open_w + d);
  return pass(d, decisive);
}

// Masked = absent, unopenable, bound to /dev/null, or empty.
std::string exposure(const std::string& path, int flags) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return {};
  int fd = open(path.c_str(), flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return {};
  struct stat fs{};
  bool devnull = fstat(fd, &fs) == 0 && S_ISCHR(fs.st_mode) && major(fs.st_rdev) == 1 && minor(fs.st_rdev) == 3;
  std::string result;
  if (!devnull) {
    if ((flags & O_ACCMODE) == O_WRONLY) {
      result = "open for write";
    } else {
      char buf[256];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) result = "readable: '" + printable(std::string(buf, static_cast<std::size_t>(n)), 40) + "'";
    }
  }
  close(fd);
  return result;
}

Outcome s02_proc_masks(const Expect&) {
  struct Item {
    const char* path;
    int flags;
  };
  std::string exposed;
  std::string masked;
  for (const Item& it : {Item{"/proc/kcore", O_RDONLY}, Item{"/proc/kmsg", O_RDONLY},
                         Item{"/proc/sysrq-trigger", O_WRONLY}, Item{"/proc/timer_list", O_RDONLY},
                         Item{"/proc/sched_debug", O_RDONLY}, Item{"/proc/keys", O_RDONLY}}) {
    std::string x = exposure(it.path, it.flags);
    if (!x.empty()) exposed += std::string(" ") + it.path + " " + x + ";";
    else masked += std::string(" ") + it.path;
  }
  if (!exposed.empty()) return fail("exposed:" + exposed);
  return pass("masked or absent:" + masked);
}

Outcome s03_sys_ro(const Expect&) {
  struct statvfs sv{};
  if (statvfs("/sys", &sv) != 0) return pass("/sys absent", errno);
  std::string d;
  bool bad = false;
  if (!(sv.f_flag & ST_RDONLY)) {
    // An empty /sys (no sysfs) is as good as read-only. gVisor's statfs reports no mount flags
    // at all; there the mount's own flags in mountinfo (last /sys mount wins) decide.
    bool sysfs = false, mount_ro = false;
    for (const auto& m : mountinfo()) {
      if (m.mount_point != "/sys") continue;
      sysfs = m.fstype == "sysfs";
      mount_ro = m.has_option("ro");
    }
    if (sysfs && !mount_ro) {
      d += " /sys mounted read-write;";
      bad = true;
    } else if (sysfs) {
      d += " /sys read-only per mountinfo (statfs reports no ST_RDONLY);";
    }
  }
  std::vector<std::string> knobs = {"/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled"};
  for (const auto& m : mountinfo()) {
    if (m.fstype == "cgroup") knobs.push_back(m.mount_point + "/release_agent");
  }
  for (const auto& k : knobs) {
    int fd = open(k.c_str(), O_WRONLY | O_CLOEXEC);  // no write follows
    if (fd >= 0) {
      close(fd);
      d += " " + k + " writable;";
      bad = true;
    }
  }
  if (bad) return fail(trim(d));
  return pass(trim(d + " /sys read-only; uevent_helper/release_agent not writable"));
}

Outcome s04_kernel_leaks(const Expect& e) {
  std::string why;
  std::string d;
  if (auto ks = read_file("/proc/kallsyms", 4096)) {
    int nonzero = 0;
    for (const auto& line : split(*ks, '\n')) {
      auto sp = line.find(' ');
      if (sp == std::string::npos) continue;
      if (line.substr(0, sp).find_first_not_of('0') != std::string::npos) ++nonzero;
    }
    d += " kallsyms nonzero addresses in first page: " + std::to_string(nonzero) + ";";
    if (nonzero > 0) why += " kallsyms shows kernel addresses;";
  } else {
    d += " kallsyms " + errname(errno) + ";";
  }
  // READ_ALL with a NULL buffer: EINVAL when permitted (nothing is read), EPERM when refused.
  Attempt s = attempt([] { return static_cast<long>(klogctl(3, nullptr, 0)); });
  d += " syslog(READ_ALL):" + s.describe() + ";";
  if (!s.denied()) why += " syslog reachable;";
  std::vector<std::string> secret_paths;
  if (e.has("canary-file")) {
    std::string c = e.str("canary-file");
    secret_paths.push_back(c.substr(0, c.rfind('/')));
  }
  auto shared = e.list("shared");
  std::string scratch = e.str("scratch");
  for (const auto& m : mountinfo()) {
    for (const std::string* p : {&m.root, &m.mount_point}) {
      for (const auto& sp : secret_paths) {
        if (p->find(sp) != std::string::npos) why += " mountinfo shows the canary dir (" + *p + ");";
      }
      if (!scratch.empty() && p->find(scratch) != std::string::npos) {
        bool declared = false;
        for (const auto& s2 : shared) declared = declared || (p->find(s2) != std::string::npos);
        if (!declared) why += " mountinfo shows undeclared host path " + *p + ";";
      }
    }
  }
  if (!why.empty()) return fail(trim(why) + " |" + d);
  return pass(trim(d), s.err);
}

Outcome s05_proc_mem_force(const Expect&) {
  long pg = sysconf(_SC_PAGESIZE);
  auto len = static_cast<std::size_t>(pg);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return fail("mmap failed", errno);
  std::memset(p, 'A', len);
  mprotect(p, len, PROT_READ);
  int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  if (fd < 0) return pass("/proc/self/mem not writable: " + errname(errno), errno);
  char b = 'B';
  ssize_t n = pwrite(fd, &b, 1, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(p)));
  int err = errno;
  close(fd);
  bool changed = static_cast<volatile char*>(p)[0] == 'B';
  munmap(p, len);
  if (n == 1 && changed) return fail("FOLL_FORCE write into a PROT_READ page via /proc/self/mem succeeded");
  return pass("FOLL_FORCE write refused: " + errname(err), err);
}

Outcome s06_parent_environ(const Expect& e) {
  if (!e.has("launcher-pid")) return skip("harness gave no --launcher-pid");
  std::string path = "/proc/" + e.str("launcher-pid") + "/environ";
  auto text = read_file(path, 1 << 20);
  if (!text) return pass(path + ": " + errname(errno), errno);
  std::string canary = e.str("canary-env");
  bool has_canary = !canary.empty() && text->find(canary + "=") != std::string::npos;
  return fail(path + " readable (" + std::to_string(text->size()) + " bytes" +
              (has_canary ? ", contains the canary variable" : "") + ")");
}

}  // namespace

void add_group_s(std::vector<Probe>& out) {
  out.push_back({"S01", "proc-sys-ro", s01_proc_sys_ro});
  out.push_back({"S02", "proc-masks", s02_proc_masks});
  out.push_back({"S03", "sys-ro", s03_sys_ro});
  out.push_back({"S04", "kernel-leaks", s04_kernel_leaks});
  out.push_back({"S05", "proc-mem-force", s05_proc_mem_force});
  out.push_back({"S06", "parent-environ", s06_parent_environ});
}

}  // namespace probe
