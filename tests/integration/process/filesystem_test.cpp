// Filesystem view: host files outside the policy are unreachable, the root is read-only,
// writable paths are writable (as the directory owner on disk), protected paths stay read-only
// inside them even when they do not exist yet, and nothing is left behind on the host.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

namespace fs = std::filesystem;
using Filesystem = ProcessBackendTest;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// Mitigation off: listing the secret's directory in readonly_paths makes it readable.
TEST_F(Filesystem, HostFileOutsideThePolicyIsUnreachable) {
  HostScratch secret_dir;
  const fs::path secret = secret_dir.path() / "secret.txt";
  write_file(secret, "host-canary-secret");
  const std::string p = secret.string();
  const ExecResult r = run(quick_policy(), sh("cat " + p + "; cat /proc/1/root" + p + "; cat /proc/self/root" + p +
                                              "; ls /root /home 2>&1; true"));
  EXPECT_EQ(r.stdout_data.find("host-canary-secret"), std::string::npos) << r.stdout_data;
}

// Mitigation off: with the directory read-only instead of writable, the inside write fails.
TEST_F(Filesystem, WritesOutsideWritablePathsFailInsideSucceed) {
  HostScratch work;
  SandboxPolicy pol = quick_policy();
  pol.fs.writable_paths = {work.path()};
  const std::string w = work.path().string();
  const ExecResult r = run(pol, sh("echo data > " + w + "/out.txt && echo INSIDE_OK; "
                                   "for t in / /etc /usr /usr/bin /dev /proc/sys/kernel/hostname; do "
                                   "  (echo x > $t/kavach-probe) 2>/dev/null && echo WROTE:$t; done; "
                                   "mkdir /kavach-dir 2>/dev/null && echo WROTE:/kavach-dir; "
                                   "echo x > /tmp/scratch && echo TMP_OK; true"));
  EXPECT_NE(r.stdout_data.find("INSIDE_OK"), std::string::npos) << r.stdout_data << r.stderr_data;
  EXPECT_NE(r.stdout_data.find("TMP_OK"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("WROTE:"), std::string::npos) << r.stdout_data;
  std::ifstream in(work.path() / "out.txt");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "data");
  struct stat st {};
  ASSERT_EQ(::stat((work.path() / "out.txt").c_str(), &st), 0);
  struct stat dir {};
  ASSERT_EQ(::stat(work.path().c_str(), &dir), 0);
  EXPECT_EQ(st.st_uid, dir.st_uid) << "files written by the sandbox belong to the directory's owner";
}

TEST_F(Filesystem, WritablePathsAreNosuidNodev) {
  HostScratch work;
  SandboxPolicy pol = quick_policy();
  pol.fs.writable_paths = {work.path()};
  const ExecResult r = run(pol, sh("grep ' " + work.path().string() + " ' /proc/self/mountinfo"));
  EXPECT_NE(r.stdout_data.find("nosuid"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("nodev"), std::string::npos) << r.stdout_data;
}

// Mitigation off: without protected_paths the sandbox creates .git/hooks/pre-commit.
TEST_F(Filesystem, ProtectedPathsStayReadOnlyEvenWhenMissing) {
  HostScratch work;
  fs::create_directories(work.path() / ".git");
  write_file(work.path() / ".git" / "config", "[core]\n");
  SandboxPolicy pol = quick_policy(Preset::agent);
  pol.fs.writable_paths = {work.path()};
  const std::string w = work.path().string();
  const ExecResult r = run(pol, sh("cd " + w + "; "
                                   "mkdir -p .git/hooks 2>/dev/null; echo evil > .git/hooks/pre-commit 2>/dev/null && echo MADE_HOOKS; "
                                   "echo evil > .git/config 2>/dev/null && echo WROTE_CONFIG; "
                                   "mv .git .git-moved 2>/dev/null && echo MOVED_GIT; "
                                   "echo x > .bashrc 2>/dev/null && echo WROTE_BASHRC; "
                                   "mkdir -p .github/workflows 2>/dev/null; echo x > .github/workflows/ci.yml 2>/dev/null && echo MADE_WORKFLOWS; "
                                   "echo ok > normal.txt && echo NORMAL_OK; cat .git/config"));
  EXPECT_EQ(r.stdout_data.find("MADE_HOOKS"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("WROTE_CONFIG"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("MOVED_GIT"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("WROTE_BASHRC"), std::string::npos) << r.stdout_data;
  EXPECT_EQ(r.stdout_data.find("MADE_WORKFLOWS"), std::string::npos) << r.stdout_data;
  EXPECT_NE(r.stdout_data.find("NORMAL_OK"), std::string::npos) << r.stdout_data << r.stderr_data;
  EXPECT_NE(r.stdout_data.find("[core]"), std::string::npos) << "protected files stay readable";
  // None of them exists on the host. (.github itself may: the command's own `mkdir -p` made it —
  // an ancestor of a protected path is an ordinary directory.)
  EXPECT_FALSE(fs::exists(work.path() / ".git" / "hooks"));
  EXPECT_FALSE(fs::exists(work.path() / ".bashrc"));
  EXPECT_FALSE(fs::exists(work.path() / ".github" / "workflows"));
  EXPECT_TRUE(fs::exists(work.path() / "normal.txt"));
}

TEST_F(Filesystem, ProtectedPathThroughASymlinkIsRefused) {
  HostScratch work;
  HostScratch elsewhere;
  fs::create_symlink(elsewhere.path(), work.path() / ".git");
  SandboxPolicy pol = quick_policy(Preset::agent);
  pol.fs.writable_paths = {work.path()};
  auto r = backend_->exec(pol, sh("true"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::setup_failed);
  EXPECT_NE(r.error().message.find("symbolic link"), std::string::npos) << r.error().describe();
}

TEST_F(Filesystem, PrivateTmpAndShmHaveTheirSize) {
  SandboxPolicy pol = quick_policy();
  pol.limits.tmpfs_bytes = 4u << 20;
  const ExecResult r = run(pol, sh("head -c 6000000 /dev/zero > /tmp/fill 2>/dev/null || echo TMP_FULL; "
                                   "head -c 6000000 /dev/zero > /dev/shm/fill 2>/dev/null || echo SHM_FULL"));
  EXPECT_EQ(r.stdout_data, "TMP_FULL\nSHM_FULL\n") << r.stderr_data;
}

TEST_F(Filesystem, ProcMasksAndReadOnlyProcSys) {
  const ExecResult r = run(quick_policy(), sh("wc -c < /proc/kmsg; wc -c < /proc/timer_list; "
                                              "ls /proc/acpi | wc -l; "
                                              "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo SYS_RW; "
                                              "echo b > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ; echo end"));
  EXPECT_EQ(r.stdout_data, "0\n0\n0\nend\n") << r.stderr_data;
}

TEST_F(Filesystem, DevIsMinimal) {
  const ExecResult r = run(quick_policy(), sh("ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && echo NULL_OK"));
  EXPECT_EQ(r.stdout_data, "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero \nNULL_OK\n")
      << r.stderr_data;
}

}  // namespace
}  // namespace kavach::testing
