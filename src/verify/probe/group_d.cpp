// D — devices: minimal /dev, private /dev/shm, device access control.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <string>

#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

void walk_dev(const std::string& dir, int depth, std::vector<std::string>& nodes) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* ent = readdir(d)) {
    std::string n = ent->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    struct stat st{};
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) nodes.push_back(p.substr(5));
    else if (S_ISDIR(st.st_mode) && depth < 2) walk_dev(p, depth + 1, nodes);
  }
  closedir(d);
}

Outcome d01_dev_minimal(const Expect&) {
  static const std::set<std::string> kAllowed = {"null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts/ptmx"};
  std::vector<std::string> nodes;
  walk_dev("/dev", 0, nodes);
  std::string extra;
  std::string ok;
  for (const auto& n : nodes) {
    bool allowed = kAllowed.count(n) > 0 || (starts_with(n, "pts/") && n.find_first_not_of("0123456789", 4) == std::string::npos);
    if (allowed) ok += " " + n;
    else extra += " " + n;
  }
  if (!extra.empty()) {
    if (extra.size() > 300) extra = extra.substr(0, 300) + "...";
    return fail("unexpected device nodes:" + extra);
  }
  return pass("device nodes:" + ok);
}

Outcome d02_dev_shm_private(const Expect& e) {
  if (!e.has("shm-canary")) return skip("harness gave no --shm-canary");
  std::string p = "/dev/shm/" + e.str("shm-canary");
  struct stat st{};
  if (stat(p.c_str(), &st) == 0) return fail("host /dev/shm canary visible: " + p);
  return pass(p + ": " + errname(errno), errno);
}

Outcome d03_device_cgroup(const Expect& e) {
  // Create a device node (1:3, /dev/null) in scratch space and open it: a device cgroup or
  // nodev mount must stop the open even when mknod is possible.
  std::string p = scratch_name(e.str("workdir", "/tmp"), "dev");
  if (mknod(p.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
    return pass("mknod refused: " + errname(errno), errno);
  }
  int fd = open(p.c_str(), O_RDWR | O_CLOEXEC);
  int err = errno;
  unlink(p.c_str());
  if (fd >= 0) {
    close(fd);
    return fail("created and opened a device node (1:3)");
  }
  return pass("device node created but open refused: " + errname(err), err);
}

}  // namespace

void add_group_d(std::vector<Probe>& out) {
  out.push_back({"D01", "dev-minimal", d01_dev_minimal});
  out.push_back({"D02", "dev-shm-private", d02_dev_shm_private});
  out.push_back({"D03", "device-cgroup", d03_device_cgroup});
}

}  // namespace probe
