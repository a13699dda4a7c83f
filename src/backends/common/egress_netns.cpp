#include "backends/common/egress_netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends/common/fd_passing.hpp"

namespace kavach::common {

int bring_loopback_up() noexcept {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, "lo", 3);
  int err = 0;
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    err = errno;
  } else {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) err = errno;
  }
  ::close(s);
  return err;
}

int send_loopback_listener(int sock, std::uint16_t port) noexcept {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int err = 0;
  if (::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s, 128) != 0) {
    err = errno;
  }
  if (err == 0) err = send_fd(sock, s);
  ::close(s);
  return err;
}

Result<EgressNetns> EgressNetns::make(std::uint16_t port) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return fail(ErrorCode::io_error, std::string("socketpair: ") + std::strerror(errno), {{"stage", "network"}});
  }
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) {
    return fail(ErrorCode::io_error, std::string("pipe: ") + std::strerror(errno), {{"stage", "network"}});
  }
  UniqueFd hold_r(hold[0]);
  UniqueFd hold_w(hold[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorCode::setup_failed, std::string("fork: ") + std::strerror(errno), {{"stage", "network"}});
  if (pid == 0) {
    // The helper. Async-signal-safe from here: the parent may have other threads.
    (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int err = ::unshare(CLONE_NEWNET) != 0 ? errno : 0;
    if (err == 0) err = bring_loopback_up();
    if (err == 0) err = send_loopback_listener(theirs.get(), port);
    if (err != 0) ::_exit(1);  // the parent's receive sees the pair close without a socket
    ::close(hold_w.get());
    char c;
    while (::read(hold_r.get(), &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);  // EOF: the run is over, the namespace may go
  }
  theirs.reset();
  hold_r.reset();
  EgressNetns n;
  n.helper_ = pid;
  n.hold_ = std::move(hold_w);
  const int fd = receive_fd(ours.get());
  if (fd < 0) {
    return fail(ErrorCode::setup_failed,
                std::string("making the network namespace for the egress proxy: ") + std::strerror(-fd),
                {{"stage", "network"}});
  }
  n.listener_.reset(fd);
  n.path_ = "/proc/" + std::to_string(pid) + "/ns/net";
  return n;
}

EgressNetns::EgressNetns(EgressNetns&& o) noexcept
    : helper_(o.helper_), hold_(std::move(o.hold_)), listener_(std::move(o.listener_)), path_(std::move(o.path_)) {
  o.helper_ = -1;
}

EgressNetns& EgressNetns::operator=(EgressNetns&& o) noexcept {
  if (this != &o) {
    release();
    helper_ = o.helper_;
    hold_ = std::move(o.hold_);
    listener_ = std::move(o.listener_);
    path_ = std::move(o.path_);
    o.helper_ = -1;
  }
  return *this;
}

EgressNetns::~EgressNetns() { release(); }

void EgressNetns::release() noexcept {
  if (helper_ <= 0) return;
  hold_.reset();  // the helper reads EOF and exits
  int status = 0;
  while (::waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
  }
  helper_ = -1;
}

}  // namespace kavach::common
