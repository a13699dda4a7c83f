// The compiled-seccomp disk cache seen from the real `kavach` binary (issue 17): the first run
// writes an entry, later runs read it (proved by planting a different, validly framed program
// and watching the sandbox obey it), and a torn, edited, loosened or symlinked entry is never
// used: the run compiles again and replaces it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "backends/common/seccomp_bpf.hpp"
#include "backends/common/seccomp_disk_cache.hpp"

namespace kavach {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int exit_code = -1;
  std::string out;
};

// `kavach run --preset strict --no-gate -q -- ARGV` with XDG_CACHE_HOME = cache_home.
Ran run_strict(const fs::path& cache_home, const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::setenv("XDG_CACHE_HOME", cache_home.c_str(), 1);
    ::unsetenv("KAVACH_NO_CACHE");
    std::vector<std::string> args = {KAVACH_CLI_PATH, "run", "--preset", "strict", "--no-gate", "-q", "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    std::vector<char*> a;
    for (auto& s : args) a.push_back(s.data());
    a.push_back(nullptr);
    ::execv(KAVACH_CLI_PATH, a.data());
    ::_exit(127);
  }
  ::close(out[1]);
  Ran r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::vector<fs::path> entries(const fs::path& cache_home) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache_home / "kavach", ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind("seccomp-", 0) == 0 && e.path().extension() == ".bpf") out.push_back(e.path());
  }
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
  ::chmod(p.c_str(), 0600);
}

// The key an entry was written for (the format: magic, u32 key length, key, ...).
std::string key_of(const std::string& entry) {
  std::uint32_t n = 0;
  std::memcpy(&n, entry.data() + 7, 4);
  return entry.substr(11, n);
}

class SeccompDiskCache : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(KAVACH_CLI_PATH) || ::geteuid() != 0) {
      GTEST_SKIP() << "needs the kavach binary and root (the process backend's sandbox)";
    }
    char tmpl[] = "/tmp/kavach-bpfcache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    const Ran first = run_strict(home_, {"/bin/true"});
    ASSERT_EQ(first.exit_code, 0) << first.out;
    files_ = entries(home_);
    ASSERT_FALSE(files_.empty()) << "the first run wrote no compiled program";
    for (const auto& f : files_) {
      good_.push_back(slurp(f));
      struct stat st {};
      ASSERT_EQ(::stat(f.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
  }
  void TearDown() override {
    std::error_code ec;
    if (!home_.empty()) fs::remove_all(home_, ec);
  }
  // Every entry is back to what a fresh compile writes.
  void expect_rebuilt(const char* what) {
    for (std::size_t i = 0; i < files_.size(); ++i) {
      EXPECT_EQ(slurp(files_[i]), good_[i]) << what << ": " << files_[i] << " was not replaced";
      struct stat st {};
      ASSERT_EQ(::lstat(files_[i].c_str(), &st), 0);
      EXPECT_TRUE(S_ISREG(st.st_mode)) << what;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << what;
    }
  }
  // An entry framed correctly for the entry's own key whose program answers uname() with EPERM
  // and allows everything else: a run that reads it cannot run /bin/uname.
  std::string planted(const std::string& good) {
    SeccompProgram p;
    p.default_action = SeccompAction::allow;
    p.rules.push_back({"uname", SeccompAction::errno_eperm, {}});
    auto bpf = common::compile_seccomp_bpf(p);
    EXPECT_TRUE(bpf) << bpf.error().describe();
    return common::encode_seccomp_entry(key_of(good), *bpf);
  }

  fs::path home_;
  std::vector<fs::path> files_;
  std::vector<std::string> good_;
};

TEST_F(SeccompDiskCache, LaterRunsReadTheEntryTheFirstWrote) {
  ASSERT_EQ(run_strict(home_, {"/bin/uname"}).exit_code, 0);
  for (std::size_t i = 0; i < files_.size(); ++i) spit(files_[i], planted(good_[i]));
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_NE(r.exit_code, 0) << "a run did not use the cached program:\n" << r.out;
}

TEST_F(SeccompDiskCache, AnEditedEntryIsRebuilt) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    std::string bad = good_[i];
    bad[bad.size() - 40] ^= 0x01;  // one bit of the last instructions
    spit(files_[i], bad);
  }
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  expect_rebuilt("one flipped bit");
}

// An entry written for another key (another libseccomp, API level or arch; or a program whose
// key hashes to the same file name) is stale: never used, rebuilt.
TEST_F(SeccompDiskCache, AStaleEntryIsRebuilt) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    std::string key = key_of(good_[i]);
    const auto at = key.find("libseccomp ");
    ASSERT_NE(at, std::string::npos) << key.substr(0, 80);
    key.insert(at + 11, "0.0.0-");  // the same program, compiled by another libseccomp
    SeccompProgram p;
    p.default_action = SeccompAction::allow;
    p.rules.push_back({"uname", SeccompAction::errno_eperm, {}});
    auto bpf = common::compile_seccomp_bpf(p);
    ASSERT_TRUE(bpf);
    spit(files_[i], common::encode_seccomp_entry(key, *bpf));
  }
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_EQ(r.exit_code, 0) << "a stale entry was used:\n" << r.out;
  expect_rebuilt("another libseccomp");
}

TEST_F(SeccompDiskCache, ATornEntryIsRebuilt) {
  for (std::size_t i = 0; i < files_.size(); ++i) spit(files_[i], good_[i].substr(0, good_[i].size() / 2));
  EXPECT_EQ(run_strict(home_, {"/bin/true"}).exit_code, 0);
  expect_rebuilt("half an entry");
}

TEST_F(SeccompDiskCache, AnEntryOthersCouldWriteIsNotUsed) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    spit(files_[i], planted(good_[i]));
    ::chmod(files_[i].c_str(), 0644);
  }
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_EQ(r.exit_code, 0) << "a group/other-readable entry was used:\n" << r.out;
  expect_rebuilt("mode 0644");
}

TEST_F(SeccompDiskCache, AnEntryOwnedBySomeoneElseIsNotUsed) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    spit(files_[i], planted(good_[i]));
    ASSERT_EQ(::chown(files_[i].c_str(), 65534, 65534), 0);
  }
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_EQ(r.exit_code, 0) << "an entry owned by uid 65534 was used:\n" << r.out;
  expect_rebuilt("owned by 65534");
}

TEST_F(SeccompDiskCache, ASymlinkedEntryIsNotFollowed) {
  const fs::path elsewhere = home_ / "planted.bpf";
  for (std::size_t i = 0; i < files_.size(); ++i) {
    spit(elsewhere, planted(good_[i]));
    fs::remove(files_[i]);
    fs::create_symlink(elsewhere, files_[i]);
  }
  const Ran r = run_strict(home_, {"/bin/uname"});
  EXPECT_EQ(r.exit_code, 0) << "a symlinked entry was followed:\n" << r.out;
  expect_rebuilt("symlink");
}

TEST_F(SeccompDiskCache, NoCacheLeavesTheDirectoryAlone) {
  for (const auto& f : files_) fs::remove(f);
  ::setenv("KAVACH_NO_CACHE", "1", 1);
  // run_strict clears KAVACH_NO_CACHE for its child; run this one by hand.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("XDG_CACHE_HOME", home_.c_str(), 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(KAVACH_CLI_PATH, KAVACH_CLI_PATH, "run", "--preset", "strict", "--no-gate", "-q", "--",
            "/bin/true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::unsetenv("KAVACH_NO_CACHE");
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_TRUE(entries(home_).empty()) << "KAVACH_NO_CACHE=1 still wrote an entry";
}

// A sandbox able to write the cache could plant the next run's filter (as the caller's uid when
// kavach runs unprivileged): a writable path holding kavach's cache or state is refused.
TEST_F(SeccompDiskCache, ASandboxCannotBeGivenTheCacheOrStateToWrite) {
  for (const char* variable : {"XDG_CACHE_HOME", "XDG_STATE_HOME"}) {
    int out[2];
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      ::setenv(variable, home_.c_str(), 1);
      ::execl(KAVACH_CLI_PATH, KAVACH_CLI_PATH, "run", "--preset", "strict", "--no-gate", "-q", "--rw",
              home_.c_str(), "--", "/bin/true", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    ::close(out[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) != 0) << variable << ": the run was allowed:\n" << text;
    EXPECT_NE(text.find("policy_value"), std::string::npos) << text;
    EXPECT_NE(text.find("which later runs trust"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace kavach
