// The syslog sink against a real /dev/log socket, set up in a private mount namespace so the
// host's logging is neither needed nor touched.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <string>

#include "kavach/audit_log.hpp"

namespace kavach {
namespace {

constexpr int kSkip = 77;

// Child: own mount namespace, a tmpfs over /dev, a datagram socket at /dev/log; sends two events
// and forwards what the socket received to `out`, one message per line.
[[noreturn]] void child(int out) {
  if (::unshare(CLONE_NEWNS) != 0) _exit(kSkip);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(kSkip);
  if (::mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755") != 0) _exit(kSkip);
  const int sock = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "/dev/log");
  if (sock < 0 || ::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(kSkip);
  timeval tv{2, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::closelog();  // drop any connection inherited from the parent

  SyslogAuditSink sink(LOG_AUTHPRIV);
  AuditEvent info;
  info.type = AuditEventType::exec_finished;
  info.sandbox_id = "sb-syslog";
  info.data = {{"exit_code", 0}};
  sink.on_event(info);
  AuditEvent warn;
  warn.type = AuditEventType::policy_violation;
  warn.sandbox_id = "sb-syslog";
  sink.on_event(warn);

  for (int i = 0; i < 2; ++i) {
    char buf[4096];
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    if (n <= 0) _exit(1);
    std::string msg(buf, static_cast<std::size_t>(n));
    msg += "\n";
    if (::write(out, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) _exit(1);
  }
  _exit(0);
}

TEST(SyslogAuditSink, WritesOneJsonMessagePerEventWithItsPriority) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
  }
  ::close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << "cannot create a private mount namespace with a /dev/log socket";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "syslog messages did not arrive: " << got;

  const auto first = got.substr(0, got.find('\n'));
  const auto second = got.substr(got.find('\n') + 1);
  // <PRI> = facility | severity: authpriv(10<<3) | info(6) = 86, | warning(4) = 84.
  EXPECT_EQ(first.rfind("<86>", 0), 0u) << first;
  EXPECT_EQ(second.rfind("<84>", 0), 0u) << second;
  EXPECT_NE(first.find("kavach-audit: {"), std::string::npos) << first;
  EXPECT_NE(first.find("\"type\":\"exec_finished\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"sandbox_id\":\"sb-syslog\""), std::string::npos) << first;
  EXPECT_NE(second.find("\"type\":\"policy_violation\""), std::string::npos) << second;
}

}  // namespace
}  // namespace kavach
