// The daemon's transport: HTTP/1.1 (Boost.Beast) on a unix socket, one thread per connection,
// each checked by SO_PEERCRED before a byte of its request is read.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "daemon/api.hpp"
#include "kavach/error.hpp"

namespace kavach::daemon {

struct ServerOptions {
  std::filesystem::path socket_path;
  // The socket is 0660 with this group when given, else 0600; systemd's socket unit decides
  // instead when the socket is inherited (LISTEN_FDS).
  std::optional<gid_t> group;
  // Besides root and the daemon's own uid, the uids allowed to talk to it.
  std::set<uid_t> allow_uids;
  std::size_t max_connections = 64;
  std::uint64_t max_request_bytes = 64ull << 20;
  int idle_seconds = 300;  // a connection with no request (or a client not reading) for this long is closed
};

class Server {
 public:
  // Binds the socket (or takes systemd's, fd 3, when LISTEN_PID/LISTEN_FDS say so).
  [[nodiscard]] static Result<std::unique_ptr<Server>> listen(ServerOptions options, Api& api);
  ~Server();
  // Accepts until stop(); returns when no connection is left (or after a grace period).
  void serve();
  // From any thread (the signal thread): no new connections; serve() returns.
  void stop();
  [[nodiscard]] const std::filesystem::path& socket_path() const { return options_.socket_path; }
  [[nodiscard]] bool inherited() const { return inherited_; }

 private:
  Server(ServerOptions options, Api& api, int fd, bool inherited)
      : options_(std::move(options)), api_(api), listen_fd_(fd), inherited_(inherited) {}
  void connection(int fd);
  [[nodiscard]] bool allowed(uid_t uid) const;

  ServerOptions options_;
  Api& api_;
  int listen_fd_ = -1;
  bool inherited_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
};

}  // namespace kavach::daemon
