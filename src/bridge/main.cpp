// kavach-egress-bridge: started in front of the command in a gVisor sandbox in network mode
// allowlist. runsc's network stack lives in the sentry, so the egress proxy's listener cannot be
// placed in the sandbox's loopback the way the process and OCI backends place it. The bridge
// listens on 127.0.0.1:PORT inside the sentry (the address HTTP(S)_PROXY names in every
// backend), relays each connection to the proxy's Unix socket on the host (reached through
// runsc --host-uds=open and a read-only bind of the socket's directory), and execs the command.
// It runs with the command's identity and policy: it can reach nothing the proxy would not.
//
// usage: kavach-egress-bridge PORT SOCKET -- COMMAND [ARGS...]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kSetupFailed = 125;  // the status a runtime gives when it cannot start a command
constexpr int kCannotExec = 127;  // not found
constexpr int kCannotRun = 126;   // found, not executable

int usage() {
  std::fprintf(stderr, "usage: kavach-egress-bridge PORT SOCKET -- COMMAND [ARGS...]\n");
  return kSetupFailed;
}

int listen_on_loopback(unsigned port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  const int one = 1;
  (void)::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 128) != 0) {
    const int e = errno;
    ::close(s);
    errno = e;
    return -1;
  }
  return s;
}

int connect_unix(const char* path) {
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

// Copies both ways until both sides are done; a half-close is passed on as a half-close, so
// request bodies ended by EOF and CONNECT tunnels both work.
void relay(int a, int b) {
  char buf[64 * 1024];
  bool open[2] = {true, true};  // a->b, b->a
  while (open[0] || open[1]) {
    pollfd p[2] = {{a, static_cast<short>(open[0] ? POLLIN : 0), 0}, {b, static_cast<short>(open[1] ? POLLIN : 0), 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || (p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const int from = i == 0 ? a : b;
      const int to = i == 0 ? b : a;
      const ssize_t n = ::read(from, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open[i] = false;
        (void)::shutdown(to, SHUT_WR);
        if (n < 0) return;
        continue;
      }
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(to, buf + done, static_cast<std::size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        done += w;
      }
    }
  }
}

// The bridge's own process: one child per connection, reaped by the kernel (SIGCHLD ignored).
[[noreturn]] void serve(int listener, const char* socket_path) {
  (void)::setsid();
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2 && null >= 0; ++fd) (void)::dup2(null, fd);  // never hold the run's pipes
  (void)std::signal(SIGCHLD, SIG_IGN);
  (void)std::signal(SIGPIPE, SIG_IGN);
  for (;;) {
    const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      ::_exit(1);
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(listener);
      const int u = connect_unix(socket_path);
      if (u >= 0) relay(c, u);  // no proxy: the client sees the connection closed
      ::_exit(0);
    }
    ::close(c);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5 || std::strcmp(argv[3], "--") != 0) return usage();
  char* end = nullptr;
  const unsigned long port = std::strtoul(argv[1], &end, 10);
  if (end == argv[1] || *end != '\0' || port == 0 || port > 65535) return usage();
  const char* socket_path = argv[2];
  if (std::strlen(socket_path) >= sizeof(sockaddr_un{}.sun_path)) return usage();

  const int listener = listen_on_loopback(static_cast<unsigned>(port));
  if (listener < 0) {
    std::fprintf(stderr, "kavach-egress-bridge: listening on 127.0.0.1:%lu: %s\n", port, std::strerror(errno));
    return kSetupFailed;
  }
  // Detached twice, so the server is nobody's child but init's and a shell's `wait` in the
  // command never waits for it; the listener exists before the command starts.
  const pid_t first = ::fork();
  if (first < 0) {
    std::fprintf(stderr, "kavach-egress-bridge: fork: %s\n", std::strerror(errno));
    return kSetupFailed;
  }
  if (first == 0) {
    if (::fork() == 0) serve(listener, socket_path);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(listener);
  ::execvp(argv[4], argv + 4);
  const int e = errno;
  std::fprintf(stderr, "kavach-egress-bridge: cannot execute '%s': %s\n", argv[4], std::strerror(e));
  return e == ENOENT ? kCannotExec : kCannotRun;  // as a shell reports it
}
