// The shared supervision loop on plain child processes (no sandbox): concurrent bounded
// capture, stdin feeding, deadline kill, and no hang on pipes a grandchild keeps open.
#include "backends/common/supervisor.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "backend_fixture.hpp"

namespace kavach::common {
namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  UniqueFd pidfd;
  UniqueFd out;
  UniqueFd err;
  UniqueFd in;
};

// fork + exec `sh -c script` with pipes on 0/1/2 (the test binary is single-threaded here).
Child start(const std::string& script, bool with_stdin = false) {
  int o[2];
  int e[2];
  int i[2];
  EXPECT_EQ(::pipe2(o, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(e, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(i, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(with_stdin ? i[0] : ::open("/dev/null", O_RDONLY), 0);
    ::dup2(o[1], 1);
    ::dup2(e[1], 2);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
    ::_exit(127);
  }
  Child c;
  c.pid = pid;
  c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  c.out.reset(o[0]);
  c.err.reset(e[0]);
  c.in.reset(i[1]);
  ::close(o[1]);
  ::close(e[1]);
  ::close(i[0]);
  return c;
}

SuperviseRequest request(Child& c, std::chrono::milliseconds timeout, std::uint64_t cap = 1u << 20) {
  SuperviseRequest r;
  r.pidfd = c.pidfd.get();
  r.stdout_fd = std::move(c.out);
  r.stderr_fd = std::move(c.err);
  r.output_cap = cap;
  r.deadline = Clock::now() + timeout;
  r.drain_grace = std::chrono::milliseconds(200);
  const pid_t pgid = c.pid;
  r.kill_tree = [pgid] { ::kill(-pgid, SIGKILL); };
  return r;
}

TEST(Supervisor, CapturesBothStreamsAndTheExit) {
  Child c = start("echo out; echo err >&2; exit 3");
  auto o = supervise(request(c, std::chrono::seconds(5)));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->wait_code, CLD_EXITED);
  EXPECT_EQ(o->wait_status, 3);
  EXPECT_EQ(o->stdout_data, "out\n");
  EXPECT_EQ(o->stderr_data, "err\n");
  EXPECT_FALSE(o->timed_out);
}

TEST(Supervisor, FeedsStdin) {
  Child c = start("tr a-z A-Z", true);
  SuperviseRequest r = request(c, std::chrono::seconds(5));
  r.stdin_fd = std::move(c.in);
  const std::string input(200000, 'q');
  r.stdin_data = input;
  auto o = supervise(std::move(r));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->stdout_data, std::string(200000, 'Q'));
}

TEST(Supervisor, TruncatesAFloodAndKillsAtTheDeadline) {
  Child c = start("yes");
  const auto t0 = Clock::now();
  auto o = supervise(request(c, std::chrono::milliseconds(500), 4096));
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->timed_out);
  EXPECT_EQ(o->wait_code, CLD_KILLED);
  EXPECT_EQ(o->stdout_data.size(), 4096u);
  EXPECT_TRUE(o->stdout_truncated);
  EXPECT_GT(o->stdout_total, 4096u);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
}

TEST(Supervisor, GrandchildHoldingThePipeDoesNotHang) {
  // The shell exits at once; a background sleep (new process group, so kill_tree misses it)
  // keeps stdout open. Reading stops after the grace period.
  const std::string marker = "sleep 30." + kavach::testing::unique_token();
  // The shell waits until the sleep really leads its own session (/proc/PID/stat field 6):
  // exiting earlier would race kill_tree, which then still finds it in the shell's group.
  Child c = start("setsid " + marker + " & while [ \"$(cut -d' ' -f6 /proc/$!/stat)\" != \"$!\" ]; do :; done; echo bye");
  SuperviseRequest r = request(c, std::chrono::seconds(20));
  const auto t0 = Clock::now();
  auto o = supervise(std::move(r));
  ASSERT_TRUE(o.has_value());
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(2));
  EXPECT_TRUE(o->output_cut);
  EXPECT_EQ(o->stdout_data, "bye\n");
  kavach::testing::kill_processes_with(marker);
}

}  // namespace
}  // namespace kavach::common
