// Ordinary programs must really run under the strict allowlist (and under basic): shells,
// coreutils, interpreters, a compiler, static C and Go binaries. Each runs in a forked child
// that installs the filter and then execs the program, as the sandbox will.
#include <sys/prctl.h>
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/process/seccomp.hpp"
#include "kavach/syscalls.hpp"
#include "process/child.hpp"

namespace kavach {
namespace {

using testing::ChildResult;
using testing::run_in_child;

process::PreparedSeccomp prepared(SeccompMode mode) {
  SeccompPolicy p;
  p.mode = mode;
  p.allow_memfd_exec = false;  // as the strict preset
  auto prog = build_seccomp_program(p);
  EXPECT_TRUE(prog) << prog.error().describe();
  auto out = process::prepare_seccomp(*prog);
  EXPECT_TRUE(out) << out.error().describe();
  return out ? std::move(*out) : process::PreparedSeccomp{};
}

ChildResult run_filtered(const process::PreparedSeccomp& f, std::vector<std::string> argv) {
  return run_in_child([&] {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    char path_env[] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    char* envp[] = {path_env, nullptr};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (process::apply_seccomp(f) != 0) return 90;
    execve(args[0], args.data(), envp);
    std::perror("execve");
    return 127;
  }, 60);
}

bool exists(const char* p) { return access(p, X_OK) == 0; }

class StrictRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { strict_ = new process::PreparedSeccomp(prepared(SeccompMode::strict)); }
  static void TearDownTestSuite() { delete strict_; }
  void expect_runs(std::vector<std::string> argv, const std::string& expected_output) {
    if (!exists(argv[0].c_str())) GTEST_SKIP() << argv[0] << " is not installed";
    auto r = run_filtered(*strict_, argv);
    EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.describe();
    EXPECT_NE(r.output.find(expected_output), std::string::npos) << r.output;
  }
  static process::PreparedSeccomp* strict_;
};
process::PreparedSeccomp* StrictRuns::strict_ = nullptr;

TEST_F(StrictRuns, ShTrueTrue) { expect_runs({"/bin/sh", "-c", "true; true; echo done"}, "done"); }

TEST_F(StrictRuns, Dash) {
  expect_runs({"/bin/dash", "-c", "x=$(echo a | cat); [ \"$x\" = a ] && echo dash-ok"}, "dash-ok");
}

TEST_F(StrictRuns, Bash) {
  expect_runs({"/bin/bash", "-c",
               "set -e; f() { echo \"$1\"; }; x=$(f b); wait; (sleep 0.01 &); "
               "read -r y < <(echo c); echo \"bash-ok $x$y\""},
              "bash-ok bc");
}

TEST_F(StrictRuns, Coreutils) {
  expect_runs({"/bin/sh", "-c",
               "set -e; d=$(mktemp -d); echo hello > $d/a; cp $d/a $d/b; mv $d/b $d/c; "
               "ln -s $d/c $d/l; mkfifo $d/fifo; chmod 600 $d/a; touch -d @0 $d/a; "
               "ls -la $d >/dev/null; stat $d/a >/dev/null; df / >/dev/null; du -s $d >/dev/null; "
               "sort -r $d/a $d/c | uniq -c | wc -l >/dev/null; seq 1 1000 | sort -n -r --parallel=2 | head -1 >/dev/null; "
               "date +%s >/dev/null; id -u >/dev/null; uname -a >/dev/null; nproc >/dev/null; "
               "timeout 5 sleep 0.01; sha256sum $d/a >/dev/null; tar -C $d -cf $d/t.tar a; "
               "find $d -name a >/dev/null; dd if=/dev/zero of=$d/z bs=4k count=4 2>/dev/null; "
               "sync; rm -r $d; echo coreutils-ok"},
              "coreutils-ok");
}

TEST_F(StrictRuns, Python3) {
  expect_runs({"/usr/bin/python3", "-c",
               "import os, subprocess, threading, socket, tempfile, json, hashlib, multiprocessing, "
               "select, signal, time, asyncio\n"
               "r = subprocess.run(['/bin/echo', 'sub'], capture_output=True, check=True)\n"
               "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
               "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.bind(('127.0.0.1', 0)); s.close()\n"
               "a, b = socket.socketpair(); a.send(b'x'); assert b.recv(1) == b'x'\n"
               "with tempfile.TemporaryDirectory() as d: open(os.path.join(d, 'f'), 'w').write('x')\n"
               "os.urandom(8); time.sleep(0.001); asyncio.run(asyncio.sleep(0))\n"
               "with multiprocessing.Pool(2) as p: assert p.map(abs, [-1, -2]) == [1, 2]\n"
               "print(1, r.stdout.decode().strip())"},
              "1 sub");
}

TEST_F(StrictRuns, Perl) {
  expect_runs({"/usr/bin/perl", "-e",
               "use strict; my $x = `echo sub`; chomp $x; system('true') == 0 or die; "
               "opendir(my $d, '/') or die; my @e = readdir($d); print \"perl-ok $x\\n\";"},
              "perl-ok sub");
}

TEST_F(StrictRuns, GccCompilesAndRuns) {
  expect_runs({"/bin/sh", "-c",
               "set -e; d=$(mktemp -d); printf '#include <stdio.h>\\nint main(void){puts(\"hi from cc\");return 0;}\\n' > $d/h.c; "
               "gcc -O1 -o $d/h $d/h.c; $d/h; rm -r $d"},
              "hi from cc");
}

TEST_F(StrictRuns, GitAndMake) {
  if (!exists("/usr/bin/git") || !exists("/usr/bin/make")) GTEST_SKIP() << "git or make missing";
  expect_runs({"/bin/sh", "-c",
               "set -e; d=$(mktemp -d); cd $d; git init -q .; echo a > a; git add a; "
               "git -c user.email=a@b -c user.name=n commit -qm x; git log --oneline | wc -l; "
               "printf 'all:\\n\\t@echo made\\n' > Makefile; make -s; cd /; rm -rf $d"},
              "made");
}

TEST_F(StrictRuns, Node) {
  expect_runs({"/usr/bin/node", "-e",
               "const cp = require('child_process');"
               "console.log(cp.execSync('echo node-child').toString().trim());"
               "require('http').createServer().listen(0, '127.0.0.1', function () {"
               "  console.log('listen-ok'); this.close(); });"},
              "listen-ok");
}

TEST_F(StrictRuns, StaticGlibcBinary) {
  // Debian's ldconfig is a static-pie glibc binary.
  expect_runs({"/sbin/ldconfig", "--version"}, "ldconfig");
}

TEST_F(StrictRuns, StaticGoBinary) {
  // gVisor's runsc is a static Go binary: Go's runtime makes its own raw syscalls (clone for
  // threads, sigaltstack, futex, sched_getaffinity, ...), independent of glibc.
  expect_runs({"/usr/bin/runsc", "--version"}, "runsc version");
}

TEST(BasicRuns, ShAndPython) {
  const auto basic = prepared(SeccompMode::basic);
  auto r = run_filtered(basic, {"/bin/sh", "-c", "true; true; echo basic-ok"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.output.find("basic-ok"), std::string::npos);
  if (exists("/usr/bin/python3")) {
    r = run_filtered(basic, {"/usr/bin/python3", "-c",
                             "import subprocess; print(subprocess.run(['/bin/echo','p'],capture_output=True).stdout.decode())"});
    EXPECT_TRUE(r.ok()) << r.describe();
  }
}

// Measured, not asserted: what building and compiling the strict filter costs per run.
// Cold: a program libseccomp has not compiled before in this process (each round denies one
// different extra name, so the BPF cache cannot answer). Warm: the same policy again.
// CPU time of this process, so other load on the machine does not inflate the numbers.
struct CpuClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<CpuClock>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return time_point(duration(ts.tv_sec * 1'000'000'000LL + ts.tv_nsec));
  }
};

TEST(SeccompCost, BuildAndExportStrict) {
  using clock = CpuClock;
  using us = std::chrono::microseconds;
  constexpr int kRounds = 20;
  SeccompPolicy p;
  p.mode = SeccompMode::strict;

  auto t0 = clock::now();
  for (int i = 0; i < kRounds; ++i) ASSERT_TRUE(build_seccomp_program(p));
  const auto build_us = std::chrono::duration_cast<us>(clock::now() - t0).count() / kRounds;

  std::size_t insns = 0;
  t0 = clock::now();
  for (int i = 0; i < kRounds; ++i) {
    SeccompPolicy q = p;
    q.extra_deny = {std::string(strict_allowlist_syscalls()[static_cast<std::size_t>(100 + i)])};
    auto prog = build_seccomp_program(q);
    ASSERT_TRUE(prog) << prog.error().describe();
    auto bpf = process::prepare_seccomp(*prog);
    ASSERT_TRUE(bpf) << bpf.error().describe();
    insns = bpf->bpf.size();
  }
  const auto cold_us = std::chrono::duration_cast<us>(clock::now() - t0).count() / kRounds;

  auto warm_prog = build_seccomp_program(p);
  ASSERT_TRUE(warm_prog);
  ASSERT_TRUE(process::prepare_seccomp(*warm_prog));
  t0 = clock::now();
  for (int i = 0; i < kRounds; ++i) {
    auto prog = build_seccomp_program(p);
    ASSERT_TRUE(prog);
    ASSERT_TRUE(process::prepare_seccomp(*prog));
  }
  const auto warm_us = std::chrono::duration_cast<us>(clock::now() - t0).count() / kRounds;
  std::cout << "[ info ] strict (CPU time): build " << build_us << " us; build+compile+export cold "
            << cold_us << " us, warm (cached BPF) " << warm_us << " us; " << insns
            << " BPF instructions, " << warm_prog->rules.size() << " rules\n";
}

}  // namespace
}  // namespace kavach
