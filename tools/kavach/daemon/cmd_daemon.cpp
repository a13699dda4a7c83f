// kavach daemon: sessions behind an HTTP/1.1 + JSON API on a unix socket (docs/daemon.md).
#include "daemon/cmd_daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "cli_common.hpp"
#include "daemon/api.hpp"
#include "daemon/registry.hpp"
#include "daemon/server.hpp"
#include "daemon/session_pool.hpp"
#include "sandbox/request_json.hpp"

namespace kavach::cli {
namespace {

struct DaemonFlags {
  std::string socket;
  bool foreground = false;
  std::string group;
  std::vector<unsigned> allow_uids;
  std::size_t max_sessions = 64;
  std::size_t max_sessions_per_uid = 16;
  std::size_t max_connections = 64;
  std::uint64_t max_request_bytes = 64ull << 20;
  std::size_t pool = 2;
  std::string pool_preset = "strict";
};

// Without --foreground: the parent returns once the child listens (or failed), like a classic
// daemon; the child leaves the terminal's session.
int detach(int& ready_w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    ::close(p[1]);
    char b = 0;
    const bool ok = ::read(p[0], &b, 1) == 1 && b == '1';
    std::_Exit(ok ? 0 : 1);
  }
  ::close(p[0]);
  ::setsid();
  ready_w = p[1];
  return 0;
}

int serve(const DaemonFlags& f) {
  int ready_w = -1;
  if (!f.foreground && detach(ready_w) != 0) return report_error(make_error(ErrorCode::io_error, "fork failed"), false);
  daemon::ServerOptions so;
  so.socket_path = f.socket.empty() ? default_daemon_socket() : std::filesystem::path(f.socket);
  if (so.socket_path.empty()) {
    return report_error(make_error(ErrorCode::invalid_argument,
                                   "no socket path: give --socket PATH (XDG_RUNTIME_DIR is not set)"), false);
  }
  if (!f.group.empty()) {
    const group* g = ::getgrnam(f.group.c_str());
    if (g == nullptr) return report_error(make_error(ErrorCode::invalid_argument, "no group named " + f.group), false);
    so.group = g->gr_gid;
  }
  for (unsigned u : f.allow_uids) so.allow_uids.insert(static_cast<uid_t>(u));
  so.max_connections = f.max_connections;
  so.max_request_bytes = f.max_request_bytes;

  // Signals go to one thread (sigwait); every other thread starts with them blocked.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, s);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  daemon::Metrics metrics;
  daemon::Registry registry({f.max_sessions, f.max_sessions_per_uid}, metrics);
  if (f.pool > 0) {
    auto config = config_from_json(nlohmann::json{{"preset", f.pool_preset}});
    if (!config) return report_error(config.error(), false);
    registry.set_pool(std::make_unique<daemon::SessionPool>(std::move(*config), SessionOptions{}, f.pool));
  }
  daemon::Api api(registry, metrics, KAVACH_VERSION);
  auto server = daemon::Server::listen(so, api);
  if (!server) {
    if (ready_w >= 0) (void)!::write(ready_w, "0", 1);
    return report_error(server.error(), false);
  }
  std::fprintf(stderr, "kavach daemon: listening on %s (pid %d)\n", (*server)->socket_path().c_str(), ::getpid());
  if (ready_w >= 0) {
    std::printf("%s\n", (*server)->socket_path().c_str());
    std::fflush(stdout);
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd : {0, 1, 2}) ::dup2(null, fd);
    (void)!::write(ready_w, "1", 1);
    ::close(ready_w);
  }
  daemon::Server* srv = server->get();
  std::thread signals([srv, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    srv->stop();
  });
  signals.detach();
  // Sessions that end on their own (idle, lifetime) are forgotten without waiting for a request.
  std::atomic<bool> done{false};
  std::thread sweeper([&registry, &done] {
    while (!done) {
      registry.sweep();
      for (int i = 0; i < 10 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  srv->serve();
  done = true;
  sweeper.join();
  registry.destroy_all("daemon stopped");
  std::fprintf(stderr, "kavach daemon: stopped\n");
  return 0;
}

}  // namespace

std::filesystem::path default_daemon_socket() {
  if (const char* host = std::getenv("KAVACH_HOST"); host != nullptr && std::string_view(host).rfind("unix://", 0) == 0) {
    return std::string(host + 7);
  }
  if (::geteuid() == 0) return "/run/kavach/kavach.sock";
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "kavach.sock";
  }
  return {};
}

void register_daemon(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<DaemonFlags>();
  CLI::App* cmd = app.add_subcommand(
      "daemon", "serve sessions over an HTTP/1.1 + JSON API on a unix socket (docs/daemon.md)");
  cmd->add_option("--socket", f->socket,
                  "socket path (default: $KAVACH_HOST unix://PATH, /run/kavach/kavach.sock for root, "
                  "else $XDG_RUNTIME_DIR/kavach.sock)");
  cmd->add_flag("--foreground", f->foreground, "stay in the foreground (containers, systemd Type=simple)");
  cmd->add_option("--group", f->group, "socket group: mode 0660 with this group (default 0600)");
  cmd->add_option("--allow-uid", f->allow_uids, "a uid besides root and the daemon's own that may connect (repeatable)")
      ->type_name("UID")
      ->allow_extra_args(false);
  cmd->add_option("--max-sessions", f->max_sessions, "sessions at once (429 beyond)")->check(CLI::Range(1, 100000));
  cmd->add_option("--max-sessions-per-uid", f->max_sessions_per_uid, "sessions per client uid (429 beyond)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-connections", f->max_connections, "client connections at once (503 beyond)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-request-bytes", f->max_request_bytes, "largest request body in bytes (413 beyond)")
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{1} << 32));
  cmd->add_option("--pool", f->pool, "sessions kept open ahead for --pool-preset (0: none); each serves one client")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--pool-preset", f->pool_preset, "the preset the pool's sessions use (a create asking for exactly it is warm)");
  cmd->callback([f, &exit_code] { exit_code = serve(*f); });
}

}  // namespace kavach::cli
