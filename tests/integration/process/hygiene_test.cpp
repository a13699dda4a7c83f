// Launcher hygiene and privilege: nothing of the host process leaks in (environment,
// descriptors, terminal, pids), and the sandbox runs filtered, without capabilities, as an
// unprivileged host id.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

using Hygiene = ProcessBackendTest;

std::string status_field(const std::string& status, const std::string& key) {
  const auto at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "<missing>";
  const auto start = status.find_first_not_of(" \t", at + key.size() + 2);
  return status.substr(start, status.find('\n', start) - start);
}

// Mitigation off: the canary's name in env_allow makes it pass through, and the test fails.
TEST_F(Hygiene, EnvironmentHoldsOnlyTheAllowListAndInjectedValues) {
  ::setenv("KAVACH_CANARY_ENV", "leaked-canary", 1);
  Command cmd = sh("env");
  cmd.env = {{"INJECTED", "yes"}};
  SandboxPolicy pol = quick_policy();
  pol.env_allow = {"LANG"};
  const ExecResult r = run(pol, cmd);
  ::unsetenv("KAVACH_CANARY_ENV");
  EXPECT_EQ(r.stdout_data.find("leaked-canary"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("INJECTED=yes"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("HOME="), std::string::npos) << r.stdout_data;
}

// A descriptor the host process holds without close-on-exec (fd 77): the sandbox must not see it.
class FdCanary {
 public:
  FdCanary() {
    const int fd = ::open("/etc/hostname", O_RDONLY);  // deliberately NOT close-on-exec
    if (fd >= 0) {
      fd_ = ::dup2(fd, 77);
      ::close(fd);
    }
  }
  ~FdCanary() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCanary(const FdCanary&) = delete;
  FdCanary& operator=(const FdCanary&) = delete;
  [[nodiscard]] bool ok() const { return fd_ == 77; }

 private:
  int fd_ = -1;
};

const char* const kFdCanaryScript = "test -e /proc/self/fd/77 && echo LEAK; ls /proc/self/fd | wc -l";

TEST_F(Hygiene, NoDescriptorOfTheHostLeaksIn) {
  FdCanary canary;
  ASSERT_TRUE(canary.ok());
  const ExecResult r = run(quick_policy(), sh(kFdCanaryScript));
  EXPECT_EQ(r.stdout_data.find("LEAK"), std::string::npos);
  // 0, 1, 2 and the directory fd `ls` itself opens.
  EXPECT_EQ(r.stdout_data, "4\n");
}

// Negative control: with the child's descriptor sweep switched off (test-only option), the
// same canary is visible inside, so the test above can fail.
TEST_F(Hygiene, DescriptorLeaksInWithoutMitigation) {
  FdCanary canary;
  ASSERT_TRUE(canary.ok());
  process::ProcessBackendOptions opts = process::default_process_options();
  opts.unsafe_keep_inherited_fds_for_tests = true;
  auto weakened = process::make_process_backend(live_host(), opts);
  const ExecResult r = run_on(*weakened, quick_policy(), sh(kFdCanaryScript));
  EXPECT_NE(r.stdout_data.find("LEAK"), std::string::npos) << r.stdout_data;
}

TEST_F(Hygiene, NoControllingTerminalAndOwnSession) {
  // Prints the shell's pid, then the session id and tty_nr of a child: own session, no tty.
  const ExecResult r = run(quick_policy(), sh("true </dev/tty && echo HAS_TTY; cat /dev/tty; echo $$ $(cut -d' ' -f6,7 /proc/self/stat)"));
  EXPECT_EQ(r.stdout_data.find("HAS_TTY"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stderr_data.find("No such device"), std::string::npos) << r.stderr_data;
  std::istringstream in(r.stdout_data);
  int shell = 0;
  int sid = -1;
  int tty = -1;
  in >> shell >> sid >> tty;
  EXPECT_EQ(sid, shell) << r.stdout_data;
  EXPECT_EQ(tty, 0);
}

// Mitigation off: seccomp mode none gives "Seccomp: 0", and keep_capabilities gives non-zero
// capability sets; both make this test fail.
TEST_F(Hygiene, FilteredNoNewPrivsAndNoCapabilities) {
  const ExecResult r = run(quick_policy(), sh("cat /proc/self/status"));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_data;
  const std::string& st = r.stdout_data;
  EXPECT_EQ(status_field(st, "Seccomp"), "2");
  EXPECT_EQ(status_field(st, "NoNewPrivs"), "1");
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(status_field(st, cap), "0000000000000000") << cap;
  }
}

TEST_F(Hygiene, SandboxRootIsAnUnprivilegedHostId) {
  const ExecResult r = run(quick_policy(), sh("cat /proc/self/uid_map /proc/self/gid_map; cat /etc/shadow"));
  std::istringstream in(r.stdout_data);
  long inside = -1;
  long outside = -1;
  long count = -1;
  in >> inside >> outside >> count;
  EXPECT_EQ(inside, 0);
  EXPECT_NE(outside, 0) << "sandbox root must not be host root";
  EXPECT_EQ(count, 1);
  EXPECT_NE(r.stderr_data.find("Permission denied"), std::string::npos)
      << "/etc/shadow must be unreadable for the unprivileged host id: " << r.stderr_data;
}

// A non-root sandbox user: ids switch inside the user namespace, capabilities still end empty,
// and the idmapped writable path is still writable for it.
TEST_F(Hygiene, NonRootSandboxUser) {
  HostScratch work;
  SandboxPolicy pol = quick_policy();
  pol.uid = 1000;
  pol.gid = 1000;
  pol.fs.writable_paths = {work.path()};
  const ExecResult r = run(pol, sh("id -u; id -g; id -G; grep CapEff /proc/self/status; echo x > " +
                                   work.path().string() + "/f && echo WRITE_OK"));
  EXPECT_EQ(r.stdout_data, "1000\n1000\n1000\nCapEff:\t0000000000000000\nWRITE_OK\n") << r.stderr_data;
}

// Mitigation off: without a pid namespace (FailClosed.WithoutNamespacesTheHolesAreVisible)
// the host's pids are listed.
TEST_F(Hygiene, ProcShowsOnlySandboxPids) {
  // The shell expands the glob itself: the only processes are PID 1 (init) and the shell.
  const ExecResult r = run(quick_policy(), sh("cd /proc && echo [0-9]*; "
                                              "tr '\\0' ' ' < /proc/1/cmdline"));
  EXPECT_EQ(r.stdout_data.substr(0, r.stdout_data.find('\n')), "1 2") << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("kavach_process_backend_tests"), std::string::npos)
      << "PID 1 shows the host's argv: " << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find(std::to_string(::getpid())), std::string::npos);
}

TEST_F(Hygiene, HostnameIsThePolicys) {
  SandboxPolicy pol = quick_policy();
  pol.hostname = "box-" + unique_token();
  const ExecResult r = run(pol, sh("hostname"));
  EXPECT_EQ(r.stdout_data, pol.hostname + "\n");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_NE(std::string(host), pol.hostname);
}

TEST_F(Hygiene, NetworkOffMeansNoInterfaceUp) {
  const ExecResult r = run(quick_policy(), sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; "
                                              "cat /sys/class/net/lo/operstate 2>/dev/null; echo end"));
  EXPECT_EQ(r.stdout_data, "lo\nend\n");
}

TEST_F(Hygiene, BlockedSyscallsFailUnderStrict) {
  if (::access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "util-linux unshare not installed";
  const ExecResult r = run(quick_policy(), sh("unshare -U true && echo NESTED_USERNS; echo done"));
  EXPECT_EQ(r.stdout_data, "done\n") << r.stderr_data;
}

}  // namespace
}  // namespace kavach::testing
