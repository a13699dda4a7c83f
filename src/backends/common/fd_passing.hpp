// Passing one descriptor over a unix socket (SCM_RIGHTS). Raw syscalls, no allocation: usable
// between clone and execve (async-signal-safe) and in the static kavach-guard.
#pragma once

namespace kavach::common {

// 0 or an errno.
[[nodiscard]] int send_fd(int sock, int fd) noexcept;
// The received descriptor (close-on-exec) or -errno (-ENODATA: the peer closed without one).
[[nodiscard]] int receive_fd(int sock) noexcept;

}  // namespace kavach::common
