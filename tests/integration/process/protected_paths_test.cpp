// Protected paths inside writable ones (issue 12, items 2-4), judged the way an attacker wins:
// by what the HOST's git runs afterwards, and by what is left in the user's tree. Every attack
// test has a negative control: the same script with protected_paths cleared must plant the hook
// (so the test can fail).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "backend_fixture.hpp"

namespace kavach::testing {
namespace {

namespace fs = std::filesystem;

// A command on the host (sh -c), its stdout and exit status.
std::pair<int, std::string> host(const std::string& script) {
  std::string out;
  FILE* p = ::popen(("(" + script + ") 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const char* kGitId = "git -c user.email=t@kavach -c user.name=t ";

class ProtectedPaths : public ProcessBackendTest {
 protected:
  void SetUp() override {
    ProcessBackendTest::SetUp();
    if (IsSkipped()) return;
    if (host("command -v git").first != 0) GTEST_SKIP() << "git is not installed";
    repo_ = work_.path() / "repo";
    marker_ = work_.path() / "HOOK_RAN";
    fs::create_directories(repo_);
    const auto [rc, out] = host("cd " + repo_.string() + " && git init -q . && " + kGitId + "commit -q --allow-empty -m init");
    ASSERT_EQ(rc, 0) << out;
  }

  SandboxPolicy agent(bool protect = true) const {
    SandboxPolicy p = quick_policy(Preset::agent);
    p.fs.writable_paths = {repo_};
    if (!protect) p.fs.protected_paths.clear();
    return p;
  }

  // A hook body that records that (and as whom) it ran on the host.
  std::string hook_script() const {
    return "printf '#!/bin/sh\\necho HOOK uid=$(id -u) > " + marker_.string() + "\\n'";
  }

  // Host-side git in `dir` the way a user would run it after the sandbox: commit, status, fetch-
  // free operations that run hooks and read config. Returns whether any planted code ran.
  bool host_git_ran_planted_code(const fs::path& dir) const {
    (void)host("cd " + dir.string() + " && " + kGitId + "commit -q --allow-empty -m after; git status --short; git diff");
    return fs::exists(marker_);
  }

  HostScratch work_;
  fs::path repo_;
  fs::path marker_;
};

// The reproducer: a new common dir with its own hooks, selected by .git/commondir.
TEST_F(ProtectedPaths, CommondirRedirectNeverRunsAHookOnTheHost) {
  const std::string plant = "cd " + repo_.string() + "/.git && mkdir -p c && cp -r objects refs HEAD c/ && mkdir c/hooks && "
                            "printf '[core]\\n\\trepositoryformatversion = 0\\n' > c/config && " + hook_script() +
                            " > c/hooks/pre-commit && chmod 755 c/hooks/pre-commit && echo c > commondir";
  const ExecResult r = run(agent(), sh(plant + "; true"));
  EXPECT_NE(r.stderr_data.find("commondir: Permission denied"), std::string::npos) << r.stderr_data;
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "commondir"));
  EXPECT_FALSE(host_git_ran_planted_code(repo_));
  // Negative control: unprotected, the same script takes over the host's next commit.
  const ExecResult open = run(agent(false), sh("rm -rf " + repo_.string() + "/.git/c; " + plant));
  ASSERT_EQ(open.exit_code, 0) << open.stderr_data;
  EXPECT_TRUE(host_git_ran_planted_code(repo_)) << "negative control: the planted hook did not run";
}

// Everything else in .git that changes what git executes or where it reads config, at the top
// and in a nested repository, and by every way of making a name: write, rename, link, symlink,
// a whole tree moved onto .git, and a gitfile.
TEST_F(ProtectedPaths, NoGitExecutorCanBePlantedAnywhereInTheTree) {
  (void)host("cd " + repo_.string() + " && mkdir -p sub && cd sub && git init -q . && " + kGitId +
             "commit -q --allow-empty -m init");
  const std::string r_ = repo_.string();
  const std::string script =
      "cd " + r_ + "; " + hook_script() + " > /tmp/hook; chmod 755 /tmp/hook; "
      "cp /tmp/hook .git/hooks/pre-commit; "                                   // existing hooks dir
      "cp /tmp/hook sub/.git/hooks/pre-commit; "                               // nested repo
      "mv sub/.git/hooks sub/.git/h2 && mkdir sub/.git/hooks && cp /tmp/hook sub/.git/hooks/pre-commit; "
      "printf '[core]\\n\\tfsmonitor = /tmp/hook\\n' > /tmp/cfg; cp /tmp/cfg sub/.git/config; "
      "cat /tmp/cfg >> sub/.git/config; mv /tmp/cfg sub/.git/config; ln -sf /tmp/cfg sub/.git/config; "
      "printf 'gitdir: /tmp/planted\\n' > /tmp/gitfile; "
      "mkdir -p planted/hooks && cp -r .git/objects .git/refs .git/HEAD planted/ && cp /tmp/hook planted/hooks/pre-commit && "
      "mkdir -p sub2 && mv planted sub2/.git; "                                // tree onto an ancestor name
      "mkdir -p sub3 && cp /tmp/gitfile sub3/.git; ln -s /tmp sub4.git; mkdir sub4 && ln -s ../planted sub4/.git; "
      "mkdir -p .git/modules/m/hooks; ln .git/config alias-config; "
      "echo c > .git/commondir; echo x > .git/config.worktree; mkdir .git/worktrees; "
      "echo /tmp > .git/objects/info/alternates; true";
  const ExecResult r = run(agent(), sh(script));
  for (const char* p : {".git/hooks/pre-commit", "sub/.git/hooks/pre-commit", "sub2/.git", "sub3/.git", "sub4/.git",
                        ".git/modules", ".git/commondir", ".git/config.worktree", ".git/worktrees",
                        ".git/objects/info/alternates", "alias-config"}) {
    EXPECT_FALSE(fs::exists(fs::symlink_status(repo_ / p))) << p << " was made\n" << r.stderr_data;
  }
  EXPECT_EQ(host("grep -c fsmonitor " + r_ + "/sub/.git/config").second, "0\n") << "nested config changed";
  for (const char* dir : {"", "/sub", "/sub2", "/sub3", "/sub4"}) {
    EXPECT_FALSE(host_git_ran_planted_code(fs::path(r_ + dir))) << "host git in " << r_ << dir << " ran planted code";
  }
}

// The agent still uses git normally: status, add, commit, branch, checkout, stash, log.
TEST_F(ProtectedPaths, GitWorksInsideTheSandbox) {
  const ExecResult r = run(agent(), sh("cd " + repo_.string() + " && echo a > a.txt && git add a.txt && " + kGitId +
                                       "commit -qm a && git branch b && git checkout -q b && echo b >> a.txt && " +
                                       kGitId + "stash -q && git stash list | wc -l && git log --oneline | wc -l && "
                                       "git checkout -q - && git status --short | wc -l && "
                                       "cd /tmp && git init -q t && echo INIT_IN_TMP_OK"));
  EXPECT_EQ(r.exit_code, 0) << r.stderr_data;
  EXPECT_EQ(r.stdout_data, "1\n2\n0\nINIT_IN_TMP_OK\n") << r.stderr_data;
  EXPECT_EQ(host("cd " + repo_.string() + " && git log --oneline | wc -l").second, "2\n");
}

// Ordinary writes keep their exact semantics behind the guard: the same script gives the same
// output with the guard and without it (protected_paths cleared) — redirections to /dev/null and
// through /dev/stdout (a pipe the host made: refused alike, the pipe belongs to host root), FIFOs,
// O_EXCL, appends, renames, hard and soft links, O_TMPFILE, chmod, a write-open through
// /proc/self/fd, python.
TEST_F(ProtectedPaths, OrdinaryFileOperationsBehaveAsWithoutTheGuard) {
  const std::string script =
      "cd " + repo_.string() + " && mkdir -p t && cd t && echo x > /dev/null && (echo out > /dev/stdout; echo stdout=$?) && "
      "mkfifo f && (cat f &) && echo via-fifo > f && sleep 0.1 && "
      "set -C && echo 1 > new && ! (echo 2 > new) 2>/dev/null && set +C && echo 3 >> new && "
      "mv new moved && ln moved linked && ln -s moved soft && echo 4 >> soft && cat linked && "
      "chmod 600 linked && stat -c %a moved && exec 3<moved && echo 5 >> /proc/self/fd/3 && tail -1 moved && "
      "python3 -c \"import os; open('py.txt','w').write('py'); "
      "fd=os.open('.', os.O_TMPFILE|os.O_WRONLY, 0o600); print(os.write(fd, b'tmp'))\" && cat py.txt && echo && "
      "ls | sort | tr '\\n' ' '";
  const ExecResult guarded = run(agent(), sh(script));
  (void)host("rm -rf " + repo_.string() + "/t");
  const ExecResult plain = run(agent(false), sh(script));
  EXPECT_EQ(guarded.exit_code, 0) << guarded.stderr_data;
  EXPECT_EQ(guarded.stdout_data, plain.stdout_data) << guarded.stderr_data;
  EXPECT_EQ(guarded.stderr_data, plain.stderr_data);
  EXPECT_NE(guarded.stdout_data.find("via-fifo\n1\n3\n4\n600\n5\n3\npy\n"), std::string::npos) << guarded.stdout_data;
}

// Item 4: protection never shows in the user's tree — after a normal run, a timeout, and a
// SIGKILL of the sandbox's whole process tree, `git status` on the host is clean.
TEST_F(ProtectedPaths, NothingIsLeftInTheUsersTreeAfterAnyKindOfRun) {
  const auto clean = [&] { return host("cd " + repo_.string() + " && git status --porcelain --ignored"); };
  ExecResult r = run(agent(), sh("cd " + repo_.string() + " && git status --porcelain --ignored"));
  EXPECT_EQ(r.stdout_data, "") << "the sandbox sees untracked files it did not make";
  EXPECT_EQ(clean().second, "");
  SandboxPolicy slow = agent();
  slow.limits.wall_timeout = std::chrono::milliseconds(500);
  auto timed = backend_->exec(slow, sh("sleep 30"));
  ASSERT_TRUE(timed) << timed.error().describe();
  EXPECT_TRUE(timed->timed_out);
  EXPECT_EQ(clean().second, "");
  // kill -9 of the launcher: a forked child runs the sandbox and is killed mid-run.
  const std::string token = "kavach-pp-" + unique_token();
  const pid_t launcher = ::fork();
  if (launcher == 0) {
    (void)backend_->exec(agent(), sh("sleep 30; : " + token));
    ::_exit(0);
  }
  for (int i = 0; i < 500 && processes_with(token).empty(); ++i) ::usleep(10'000);
  ASSERT_FALSE(processes_with(token).empty()) << "the sandboxed sleeper never started";
  ::kill(launcher, SIGKILL);
  ::waitpid(launcher, nullptr, 0);
  kill_processes_with(token);
  EXPECT_EQ(clean().second, "");
}

// Item 3: a writable path given through a symlink is resolved once; its protected paths hold.
TEST_F(ProtectedPaths, WritablePathThroughASymlinkKeepsItsProtection) {
  const fs::path link = work_.path() / "link";
  fs::create_directory_symlink(repo_, link);
  SandboxPolicy p = agent();
  p.fs.writable_paths = {link};
  const ExecResult r = run(p, sh("echo evil > " + link.string() + "/.git/hooks/pre-commit; echo evil > " +
                                 link.string() + "/.bashrc; echo ok > " + link.string() + "/through-link && cat " +
                                 link.string() + "/through-link"));
  EXPECT_EQ(r.stdout_data, "ok\n") << r.stderr_data;
  EXPECT_FALSE(fs::exists(repo_ / ".git" / "hooks" / "pre-commit"));
  EXPECT_FALSE(fs::exists(repo_ / ".bashrc"));
  EXPECT_TRUE(fs::exists(repo_ / "through-link"));
}

}  // namespace
}  // namespace kavach::testing
