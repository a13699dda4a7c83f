// The network plumbing of allowlist mode, shared by the backends: `lo` up and the egress proxy's
// listener inside a sandbox's network namespace. The first two run between fork/clone and exec:
// async-signal-safe, nothing allocated.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::common {

// Brings `lo` up in the caller's network namespace. 0 or an errno. Async-signal-safe.
[[nodiscard]] int bring_loopback_up() noexcept;

// Binds 127.0.0.1:port in the caller's network namespace, listens, sends the socket over
// `sock` (SCM_RIGHTS) and closes its copy. 0 or an errno. Async-signal-safe.
[[nodiscard]] int send_loopback_listener(int sock, std::uint16_t port) noexcept;

// For runtimes that join a namespace by path (runc, crun): a new network namespace with `lo`
// up and the proxy's listener in it, held by a small helper process until this is destroyed.
class EgressNetns {
 public:
  [[nodiscard]] static Result<EgressNetns> make(std::uint16_t port);
  EgressNetns() = default;
  EgressNetns(EgressNetns&& o) noexcept;
  EgressNetns& operator=(EgressNetns&& o) noexcept;
  ~EgressNetns();

  [[nodiscard]] const std::string& path() const { return path_; }  // /proc/<helper>/ns/net
  [[nodiscard]] UniqueFd take_listener() { return std::move(listener_); }

 private:
  void release() noexcept;
  pid_t helper_ = -1;
  UniqueFd hold_;  // the helper lives until this pipe closes
  UniqueFd listener_;
  std::string path_;
};

}  // namespace kavach::common
