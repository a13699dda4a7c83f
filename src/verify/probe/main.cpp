// kavach-probe: runs adversarial checks inside a sandbox and prints one JSON line per check.
//   kavach-probe [all|<group letter>|<probe id>]... [--key=value]...
//   kavach-probe list              probes, one per line
//   kavach-probe host-features     features of this kernel (run OUTSIDE the sandbox)
// Hidden helpers used by the probes and the harness: sleeper, creds, exit, crash, spin.
#include <fcntl.h>
#include <linux/landlock.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "abi.hpp"
#include "helpers.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace {

using namespace probe;

int usage(const char* msg) {
  std::fprintf(stderr, "kavach-probe: %s\n", msg);
  std::fprintf(stderr,
               "usage: kavach-probe [all|H|P|N|F|S|C|L|I|W|D|R|T|<id>]... [--key=value]...\n"
               "       kavach-probe list | host-features\nkeys:\n");
  for (const auto& k : expect_keys()) {
    std::fprintf(stderr, "  --%-18s %s\n", std::string(k.key).c_str(), std::string(k.help).c_str());
  }
  return 2;
}

// Features of this kernel, measured where the probe runs (the harness runs it OUTSIDE).
int host_features() {
  std::vector<std::string> f;
  Attempt ia32 = attempt([] { return int80(kI386Getpid); });
  if (ia32.ok() && ia32.ret > 0) f.emplace_back("ia32");
  Attempt x32 = attempt([] { return syscall(kX32Bit | SYS_getpid); });
  if (x32.ok() && x32.ret > 0) f.emplace_back("x32");
  Attempt vs = attempt([] {
    int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);  // never connected
    if (fd >= 0) close(fd);
    return static_cast<long>(fd);
  });
  if (vs.ok()) f.emplace_back("vsock");
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  f.emplace_back("landlock=" + std::to_string(abi > 0 ? abi : 0));
  if (access("/proc/self/ns/time", F_OK) == 0) f.emplace_back("timens");
  if (access("/proc/self/ns/cgroup", F_OK) == 0) f.emplace_back("cgroupns");
  std::string out;
  for (const auto& s : f) out += (out.empty() ? "" : ",") + s;
  std::printf("%s\n", out.c_str());
  return 0;
}

bool selected(const Probe& p, const std::vector<std::string>& sel) {
  for (const auto& s : sel) {
    if (s == "all") return true;
    if (s.size() == 1 && p.id[0] == s[0]) return true;
    if (s == p.id) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  probe::snapshot_startup_fds();
  if (argc >= 2) {
    std::string cmd = argv[1];
    if (cmd == "host-features") return host_features();
    if (int rc = probe::run_helper(argc - 1, argv + 1); rc != probe::kNotAHelper) return rc;
  }
  std::vector<std::string> sel;
  Expect e;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") return usage("help");
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq == std::string::npos) return usage(("option without value: " + a).c_str());
      std::string key = a.substr(2, eq - 2);
      bool known = false;
      for (const auto& k : expect_keys()) known = known || k.key == key;
      if (!known) return usage(("unknown key: " + key).c_str());
      e.set(key, a.substr(eq + 1));
      continue;
    }
    sel.push_back(a);
  }
  if (sel.empty()) return usage("nothing selected");
  if (sel.size() == 1 && sel[0] == "list") {
    for (const auto& p : all_probes()) {
      std::printf("%s %s\n", std::string(p.id).c_str(), std::string(p.name).c_str());
    }
    return 0;
  }
  for (const auto& s : sel) {
    bool ok = s == "all";
    for (const auto& p : all_probes()) ok = ok || selected(p, {s});
    if (!ok) return usage(("unknown selector: " + s).c_str());
  }
  // Orphans of the checks come back to us so they can be reaped (zombie storms, daemons).
  (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  int failures = 0;
  for (const auto& p : all_probes()) {
    if (!selected(p, sel)) continue;
    double t0 = now_ms();
    Outcome o = run_isolated(p, e);
    if (o.verdict == Verdict::fail) ++failures;
    std::string line = to_json_line(p.id, o, now_ms() - t0);
    (void)write_all(STDOUT_FILENO, line);
  }
  return failures == 0 ? 0 : 1;
}
