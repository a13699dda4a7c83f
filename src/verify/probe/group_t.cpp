// T — teardown. The decisive checks are harness-side (after the run); here the probe plants what
// teardown must clean: survivors, a stopped process, a setuid file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "probe.hpp"
#include "util.hpp"

namespace probe {

pid_t spawn_detached_sleeper(const Expect& e, const std::string& suffix, bool stopped);

namespace {

Outcome t01_no_survivors(const Expect& e) {
  if (!e.has("token")) return info("harness-observed; no --token given, nothing planted");
  pid_t a = spawn_detached_sleeper(e, "-T01a", false);
  pid_t b = spawn_detached_sleeper(e, "-T01b", true);
  return info("harness-observed; planted a detached sleeper (" + std::to_string(a) +
              ") and a stopped one (" + std::to_string(b) + "), token=" + e.str("token") + "-T01*");
}

Outcome t02_no_mount_leaks(const Expect&) {
  return info("harness-observed; host mount table compared before and after the run");
}

Outcome t03_temp_cleanup(const Expect& e) {
  if (!e.has("workdir")) return info("harness-observed; no --workdir, nothing planted");
  std::string p = e.str("workdir") + "/kavach-probe-suid";
  unlink(p.c_str());
  int fd = open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
  if (fd >= 0) close(fd);
  int r = chmod(p.c_str(), 04755 | 02000);
  struct stat st{};
  stat(p.c_str(), &st);
  return info("harness-observed; planted " + p + (r == 0 ? " with setuid bit" : " (chmod " + errname(errno) + ")") +
              " owner uid " + std::to_string(st.st_uid));
}

Outcome t04_status(const Expect&) {
  return info("harness-observed; exit code, signal, timeout and limit statuses checked by separate runs");
}

}  // namespace

void add_group_t(std::vector<Probe>& out) {
  out.push_back({"T01", "no-survivors", t01_no_survivors});
  out.push_back({"T02", "no-mount-leaks", t02_no_mount_leaks});
  out.push_back({"T03", "temp-cleanup", t03_temp_cleanup});
  out.push_back({"T04", "status", t04_status});
}

}  // namespace probe
