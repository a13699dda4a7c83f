// I — IPC, signals, keyring, sockets reaching the host.
#include <dirent.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "net.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

Outcome i01_signal_host(const Expect& e) {
  if (!e.has("launcher-pid")) return skip("harness gave no --launcher-pid");
  std::string d;
  bool reached = false;
  for (const char* key : {"launcher-pid", "victim-pid"}) {
    if (!e.has(key)) continue;
    int r = kill(static_cast<pid_t>(*e.num(key)), 0);
    d += std::string(" kill(") + key + ",0):" + (r == 0 ? "DELIVERABLE" : errname(errno)) + ";";
    if (r == 0) reached = true;
  }
  int all = kill(-1, 0);
  d += " kill(-1,0):" + std::string(all == 0 ? "OK" : errname(errno)) + " with " +
       std::to_string(visible_pids().size()) + " pids visible";
  if (reached) return fail("signals reach host processes:" + d);
  return pass(d, ESRCH);
}

constexpr long kKeyctlGetKeyringId = 0;
constexpr long kKeyctlDescribe = 6;
constexpr long kKeyctlRead = 11;
constexpr long kKeySpecSessionKeyring = -3;

Outcome i02_keyring(const Expect& e) {
  if (!e.has("key-serial")) return skip("harness gave no --key-serial");
  long key = static_cast<long>(*e.num("key-serial"));
  std::string d;
  bool leak = false;
  Attempt sess = attempt([] { return syscall(SYS_keyctl, kKeyctlGetKeyringId, kKeySpecSessionKeyring, 0); });
  d += "session keyring:" + sess.describe();
  if (sess.ok() && e.has("launcher-keyring") && sess.ret == *e.num("launcher-keyring")) {
    d += " (the launcher's)";
    leak = true;
  }
  Attempt rd = attempt([key] {
    char buf[256];
    return syscall(SYS_keyctl, kKeyctlRead, key, buf, sizeof buf);
  });
  d += "; read canary:" + rd.describe();
  Attempt ds = attempt([key] {
    char buf[256];
    return syscall(SYS_keyctl, kKeyctlDescribe, key, buf, sizeof buf);
  });
  d += "; describe canary:" + ds.describe();
  if (rd.ok() || ds.ok()) return fail("canary key observable: " + d);
  if (leak) return fail("shares the launcher's session keyring: " + d);
  return pass(d, rd.err);
}

Outcome i03_abstract_socket(const Expect& e) {
  if (!e.has("abstract")) return skip("harness gave no --abstract");
  int r = abstract_connect(e.str("abstract"));
  if (r == 0) return fail("connected to the host's abstract socket @" + e.str("abstract"));
  return pass("connect @" + e.str("abstract") + ": " + errname(-r), -r);
}

Outcome i04_fs_sockets(const Expect& e) {
  std::vector<std::string> paths = {"/var/run/docker.sock", "/run/docker.sock",
                                    "/run/containerd/containerd.sock", "/var/run/crio/crio.sock",
                                    "/run/podman/podman.sock", "/run/dbus/system_bus_socket",
                                    "/var/run/dbus/system_bus_socket", "/tmp/.X11-unix",
                                    "/run/systemd/private", "/run/user"};
  for (const char* env : {"SSH_AUTH_SOCK", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS"}) {
    if (const char* v = getenv(env)) paths.emplace_back(v);
  }
  std::string found;
  if (e.has("fs-socket")) {
    std::string s = e.str("fs-socket");
    int r = unix_connect(s);
    if (r == 0) found += " connected to host socket " + s + ";";
    paths.push_back(s);
  }
  for (const auto& p : paths) {
    struct stat st{};
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      // Runtime dirs (/run/user, X11) matter only when they hold something.
      DIR* d = opendir(p.c_str());
      int entries = 0;
      while (d != nullptr) {
        dirent* ent = readdir(d);
        if (ent == nullptr) break;
        if (std::strcmp(ent->d_name, ".") != 0 && std::strcmp(ent->d_name, "..") != 0) ++entries;
      }
      if (d != nullptr) closedir(d);
      if (entries > 0) found += " " + p + " holds " + std::to_string(entries) + " entries;";
      continue;
    }
    found += " " + p + " present;";
  }
  if (!found.empty()) return fail(trim(found));
  return pass("no host sockets or runtime dirs visible");
}

Outcome i05_inotify_host(const Expect& e) {
  std::vector<std::string> targets;
  if (e.has("canary-file")) {
    std::string c = e.str("canary-file");
    targets.push_back(c);
    targets.push_back(c.substr(0, c.rfind('/')));
  }
  if (targets.empty()) return skip("harness gave no --canary-file");
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return pass("inotify_init refused: " + errname(errno), errno);
  std::string d;
  std::string watched;
  int err = 0;
  for (const auto& t : targets) {
    int w = inotify_add_watch(fd, t.c_str(), IN_ALL_EVENTS);
    if (w >= 0) watched += " " + t;
    else {
      d += " " + t + ":" + errname(errno) + ";";
      if (err == 0) err = errno;
    }
  }
  close(fd);
  if (!watched.empty()) return fail("watching host paths:" + watched);
  return pass(d, err);
}

}  // namespace

void add_group_i(std::vector<Probe>& out) {
  out.push_back({"I01", "signal-host", i01_signal_host});
  out.push_back({"I02", "keyring", i02_keyring});
  out.push_back({"I03", "abstract-socket", i03_abstract_socket});
  out.push_back({"I04", "fs-sockets", i04_fs_sockets});
  out.push_back({"I05", "inotify-host", i05_inotify_host});
}

}  // namespace probe
