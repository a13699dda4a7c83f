// Network off is really off; memory and pids limits hit inside the container are reported; the
// timeout kills the container and nothing is left in the runtime. Each limit test has a twin
// without the limit, showing that the limit (not something else) stopped the command.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>

#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

using std::chrono::milliseconds;

class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = 0;
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 8) == 0) {
      socklen_t len = sizeof a;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    }
  }
  ~Listener() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A python3 client inside: one line per target, "<host> connected" or "<host> blocked".
std::vector<std::string> connect_script(int port) {
  const std::string code =
      "import socket, sys\n"
      "for h in sys.argv[1:]:\n"
      "    try:\n"
      "        socket.create_connection((h, " + std::to_string(port) + "), timeout=1.5).close(); print(h, 'connected')\n"
      "    except OSError as e:\n"
      "        print(h, 'blocked')\n";
  return {"/usr/bin/python3", "-c", code};
}

// This host's first non-loopback IPv4 address (to try reaching the host from inside).
std::string host_address() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(9);
  ::inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
  std::string out = "127.0.0.1";
  if (s >= 0 && ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    if (::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      char buf[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
      out = buf;
    }
  }
  if (s >= 0) ::close(s);
  return out;
}

class OciNetworkAndLimits : public ContainerTest {};

TEST_F(OciNetworkAndLimits, NetworkOffIsReallyOff) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  Listener listener;
  ASSERT_NE(listener.port(), 0);
  const std::string outside = host_address();
  // The listener is reachable from the host itself: the probe would see it without isolation.
  {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(listener.port()));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "host-side control connection";
    ::close(s);
  }
  int ran = 0;
  for (BackendKind kind : {BackendKind::process, BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!made.backend) {
      std::cout << "[ info ] " << to_string(kind) << ": " << made.skip << "\n";
      continue;
    }
    ++ran;
    auto argv = connect_script(listener.port());
    argv.push_back("127.0.0.1");
    argv.push_back(outside);
    auto r = made.backend->exec(quick_policy(Preset::strict), command(argv));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "127.0.0.1 blocked\n" + outside + " blocked\n") << to_string(kind) << ": " << describe(*r);
    EXPECT_TRUE(r->enforcement.applied(Control::network)) << to_string(kind);
  }
  if (ran == 0) GTEST_SKIP() << "no container backend runs here";
}

TEST_F(OciNetworkAndLimits, MemoryLimitHitIsReportedAsOom) {
  Exercised ex;
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  const std::vector<std::string> balloon = {"/usr/bin/python3", "-c",
                                            "x = bytearray(160 << 20); x[::4096] = b'x' * len(x[::4096]); print('allocated')"};
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = quick_policy(Preset::strict);
    p.limits.memory_bytes = 64u << 20;
    p.limits.swap_bytes = 0;
    auto r = made.backend->exec(p, command(balloon));
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_TRUE(r->oom_killed) << to_string(kind) << ": " << describe(*r);
    EXPECT_EQ(r->signal, SIGKILL) << to_string(kind);
    EXPECT_EQ(r->stdout_data.find("allocated"), std::string::npos);
    ASSERT_TRUE(r->usage.memory_peak_bytes.has_value());
    EXPECT_LE(*r->usage.memory_peak_bytes, 64u << 20);

    // Twin: the same balloon without the limit fits.
    p.limits.memory_bytes.reset();
    p.limits.swap_bytes.reset();
    auto free_run = made.backend->exec(p, command(balloon));
    ASSERT_TRUE(free_run.has_value()) << free_run.error().describe();
    EXPECT_FALSE(free_run->oom_killed) << to_string(kind);
    EXPECT_EQ(free_run->stdout_data, "allocated\n") << to_string(kind) << ": " << describe(*free_run);
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciNetworkAndLimits, PidsLimitHitIsReported) {
  Exercised ex;
  const std::vector<std::string> forker = {"/bin/sh", "-c",
                                           "n=0; for i in $(seq 1 40); do sleep 2 & n=$((n+1)); done; echo forked $n; kill $(jobs -p) 2>/dev/null; true"};
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = quick_policy(Preset::strict);
    p.limits.pids = 16;
    auto r = made.backend->exec(p, command(forker));
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_TRUE(r->pids_limit_hit) << to_string(kind) << ": " << describe(*r);
    EXPECT_NE(r->stdout_data, "forked 40\n") << to_string(kind);

    p.limits.pids.reset();
    auto free_run = made.backend->exec(p, command(forker));
    ASSERT_TRUE(free_run.has_value()) << free_run.error().describe();
    EXPECT_FALSE(free_run->pids_limit_hit) << to_string(kind);
    EXPECT_EQ(free_run->stdout_data, "forked 40\n") << to_string(kind) << ": " << describe(*free_run);
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

// The CPU-time limit holds for the whole container (its cgroup's CPU accounting, watched by the
// supervisor), not per process only: a background spinner ends the run at ~1 s of CPU. Twin
// without the limit: the same command finishes and prints.
TEST_F(OciNetworkAndLimits, CpuTimeLimitKillsTheWholeContainer) {
  Exercised ex;
  const std::vector<std::string> spinner = {"/bin/sh", "-c", "(while :; do :; done) & sleep 4; echo alive"};
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = quick_policy(Preset::strict);
    p.limits.wall_timeout = milliseconds(10'000);
    p.limits.cpu_time_seconds = 1;
    const auto t0 = std::chrono::steady_clock::now();
    auto r = made.backend->exec(p, command(spinner));
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    const ControlStatus* st = r->enforcement.find(Control::cpu_time);
    ASSERT_NE(st, nullptr);
    if (!st->applied) {
      // Honest report instead of enforcement: then nothing may claim the limit was hit early.
      EXPECT_NE(st->detail.find("RLIMIT_CPU"), std::string::npos) << to_string(kind) << ": " << st->detail;
      continue;
    }
    EXPECT_TRUE(r->cpu_limit_hit) << to_string(kind) << ": " << describe(*r);
    EXPECT_EQ(r->signal, SIGKILL) << to_string(kind);
    EXPECT_EQ(r->stdout_data, "") << to_string(kind);
    EXPECT_FALSE(r->timed_out) << to_string(kind);
    EXPECT_LT(took, std::chrono::milliseconds(4'000)) << to_string(kind);

    p.limits.cpu_time_seconds.reset();
    auto free_run = made.backend->exec(p, command(spinner));
    ASSERT_TRUE(free_run.has_value()) << free_run.error().describe();
    EXPECT_FALSE(free_run->cpu_limit_hit) << to_string(kind);
    EXPECT_EQ(free_run->stdout_data, "alive\n") << to_string(kind) << ": " << describe(*free_run);
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciNetworkAndLimits, TimeoutKillsTheContainerAndLeavesNothing) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = quick_policy(Preset::strict);
    p.limits.wall_timeout = milliseconds(1500);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = made.backend->exec(p, command({"/bin/sh", "-c", "sleep 100 & sleep 100; echo not reached"}));
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_TRUE(r->timed_out) << describe(*r);
    EXPECT_EQ(r->signal, SIGKILL);
    EXPECT_EQ(r->stdout_data, "");
    EXPECT_LT(took, std::chrono::seconds(8)) << to_string(kind);
    const std::string id = r->backend_info.at("container_id");
    const std::string runtime = r->backend_info.at("runtime");
    for (const auto& listed : listed_containers(runtime)) EXPECT_NE(listed, id) << runtime << " still lists it";
    for (const auto& b : leftover_bundles()) EXPECT_EQ(b.find(id), std::string::npos) << "bundle left: " << b;
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

}  // namespace
}  // namespace kavach::oci_test
