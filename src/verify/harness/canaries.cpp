#include "canaries.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "runner.hpp"

namespace kavach::probes {

namespace fs = std::filesystem;

namespace {

constexpr long kKeyctlGetKeyringId = 0;
constexpr long kKeyctlInvalidate = 21;
constexpr long kKeySpecSessionKeyring = -3;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

std::string ns_inode(const char* name) {
  char buf[64] = {};
  std::string link = std::string("/proc/self/ns/") + name;
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string s(buf, static_cast<std::size_t>(n));
  auto lb = s.find('['), rb = s.find(']');
  if (lb == std::string::npos || rb == std::string::npos) return {};
  return s.substr(lb + 1, rb - lb - 1);
}

std::string first_host_ipv4() {
  ifaddrs* ifa = nullptr;
  if (getifaddrs(&ifa) != 0) return {};
  std::string out;
  for (auto* p = ifa; p != nullptr; p = p->ifa_next) {
    if (p->ifa_addr == nullptr || p->ifa_addr->sa_family != AF_INET) continue;
    if (p->ifa_flags & IFF_LOOPBACK) continue;
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ifa_addr)->sin_addr, buf, sizeof buf);
    out = buf;
    break;
  }
  freeifaddrs(ifa);
  return out;
}

int listen_unix(const sockaddr_un& sa, socklen_t len) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<const sockaddr*>(&sa), len) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int accept_all(int fd) {
  if (fd < 0) return 0;
  int n = 0;
  for (;;) {
    int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) break;
    close(c);
    ++n;
  }
  return n;
}

Result<void> copy_file(const fs::path& from, const fs::path& to, mode_t mode) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return fail(ErrorCode::io_error, "copy " + from.string() + ": " + ec.message());
  if (chmod(to.c_str(), mode) != 0) return fail(ErrorCode::io_error, errno_text("chmod"));
  return {};
}

}  // namespace

std::string random_hex(std::size_t n) {
  std::string out;
  unsigned char buf[64];
  while (out.size() < n) {
    ssize_t got = getrandom(buf, sizeof buf, 0);
    if (got <= 0) break;
    for (ssize_t i = 0; i < got && out.size() < n; ++i) {
      static const char* kHex = "0123456789abcdef";
      out += kHex[buf[i] & 0xf];
    }
  }
  return out;
}

Result<std::unique_ptr<Canaries>> Canaries::create(const CanaryOptions& opts) {
  std::unique_ptr<Canaries> c(new Canaries());
  if (auto r = c->setup(opts); !r) return tl::unexpected(r.error());
  return c;
}

Result<void> Canaries::setup(const CanaryOptions& opts) {
  std::string tag = random_hex(10);
  token_ = "kvp" + tag;
  char tmpl[] = "/tmp/kavach-probe-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return fail(ErrorCode::io_error, errno_text("mkdtemp"));
  scratch_ = tmpl;
  chmod(scratch_.c_str(), 0711);  // traversable, not listable: only shared subdirs are reachable
  std::error_code ec;
  fs::create_directories(scratch_ / "secret", ec);
  fs::create_directories(protected_dir(), ec);
  fs::create_directories(bindir(), ec);
  if (ec) return fail(ErrorCode::io_error, "create scratch dirs: " + ec.message());
  chmod((scratch_ / "secret").c_str(), 0755);  // readable if reachable: isolation must hide it
  chmod(workdir().c_str(), 0777);               // the sandbox user is an unprivileged host id
  chmod(bindir().c_str(), 0755);
  plant_workdir();

  // Secret file + inherited fd (no O_CLOEXEC) at a fixed number.
  secret_ = "kavach-canary-secret-" + random_hex(24);
  {
    std::ofstream f(secret_file());
    f << secret_ << "\n";
  }
  chmod(secret_file().c_str(), 0644);
  int fd = open(secret_file().c_str(), O_RDONLY);
  if (fd < 0) return fail(ErrorCode::io_error, errno_text("open canary"));
  if (dup2(fd, opts.canary_fd_number) < 0) return fail(ErrorCode::io_error, errno_text("dup2 canary fd"));
  close(fd);
  fd_ = opts.canary_fd_number;

  // File handle of the canary (shocker check).
  {
    char buf[sizeof(file_handle) + MAX_HANDLE_SZ] = {};
    auto* fh = reinterpret_cast<file_handle*>(buf);
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (name_to_handle_at(AT_FDCWD, secret_file().c_str(), fh, &mount_id, 0) == 0) {
      std::string hex;
      const auto* bytes = reinterpret_cast<const unsigned char*>(buf) + offsetof(file_handle, f_handle);
      for (unsigned i = 0; i < fh->handle_bytes; ++i) {
        char b[3];
        std::snprintf(b, sizeof b, "%02x", bytes[i]);
        hex += b;
      }
      args_.push_back("--canary-handle=" + std::to_string(fh->handle_type) + ":" + hex);
    } else {
      add_note(errno_text("name_to_handle_at(canary)"));
    }
  }

  // Environment variable of the launcher.
  env_name_ = "KAVACH_CANARY_" + random_hex(8);
  setenv(env_name_.c_str(), secret_.c_str(), 1);

  // Key in the launcher's session keyring.
  keyring_serial_ = syscall(SYS_keyctl, kKeyctlGetKeyringId, kKeySpecSessionKeyring, 1);
  std::string desc = "kavach-canary-" + tag;
  key_serial_ = syscall(SYS_add_key, "user", desc.c_str(), secret_.data(), secret_.size(), kKeySpecSessionKeyring);
  if (key_serial_ < 0) add_note(errno_text("add_key"));

  // Listeners: abstract unix, filesystem unix (outside any policy), TCP on 127.0.0.1 only.
  abstract_name_ = "kavach-canary-" + tag;
  {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + 1, abstract_name_.data(), abstract_name_.size());
    abstract_fd_ = listen_unix(sa, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract_name_.size()));
    if (abstract_fd_ < 0) return fail(ErrorCode::io_error, errno_text("abstract listener"));
  }
  {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string p = (scratch_ / "secret" / "agent.sock").string();
    std::strncpy(sa.sun_path, p.c_str(), sizeof sa.sun_path - 1);
    fs_sock_fd_ = listen_unix(sa, sizeof sa);
    if (fs_sock_fd_ < 0) return fail(ErrorCode::io_error, errno_text("unix listener"));
    chmod(p.c_str(), 0777);
  }
  {
    tcp_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (tcp_fd_ < 0 || bind(tcp_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        listen(tcp_fd_, 64) != 0 || getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      return fail(ErrorCode::io_error, errno_text("tcp listener"));
    }
    tcp_port_ = ntohs(sa.sin_port);
  }

  // SysV IPC + POSIX message queue + a file in /dev/shm.
  sysv_key_ = static_cast<int>(std::stoul(random_hex(7), nullptr, 16) | 0x10000000u);
  shm_id_ = shmget(sysv_key_, 4096, IPC_CREAT | IPC_EXCL | 0600);
  msg_id_ = msgget(sysv_key_, IPC_CREAT | IPC_EXCL | 0600);
  sem_id_ = semget(sysv_key_, 1, IPC_CREAT | IPC_EXCL | 0600);
  if (shm_id_ < 0 || msg_id_ < 0 || sem_id_ < 0) add_note(errno_text("SysV canaries"));
  mq_name_ = "/kavach-canary-" + tag;
  mq_fd_ = mq_open(mq_name_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, nullptr);
  if (mq_fd_ < 0) add_note(errno_text("mq_open"));
  shm_name_ = "kavach-canary-" + tag;
  {
    std::ofstream f(fs::path("/dev/shm") / shm_name_);
    f << secret_ << "\n";
  }

  // Planted privileged copies of the probe.
  if (opts.plant_setuid) {
    fs::path p = bindir() / "kavach-probe-suid";
    if (auto r = copy_file(opts.probe_binary, p, 0755); !r) return r;
    if (chown(p.c_str(), 0, 0) != 0 || chmod(p.c_str(), 04755) != 0) add_note(errno_text("setuid copy"));
    else args_.push_back("--setuid-bin=" + p.string());
  }
  if (opts.plant_filecap) {
    fs::path p = bindir() / "kavach-probe-fcap";
    if (auto r = copy_file(opts.probe_binary, p, 0755); !r) return r;
    vfs_cap_data cap{};
    cap.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE;
    cap.data[0].permitted = 1u << CAP_NET_RAW;
    if (setxattr(p.c_str(), "security.capability", &cap, XATTR_CAPS_SZ_2, 0) != 0) {
      add_note(errno_text("file caps"));
    } else {
      args_.push_back("--filecap-bin=" + p.string());
    }
  }

  // A disposable host process outside any sandbox (signal/ptrace targets).
  {
    std::string victim_token = token_ + "-victim";
    std::string bin = opts.probe_binary.string();
    pid_t parent = getpid();
    victim_ = fork();
    if (victim_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(bin.c_str(), "kavach-probe", "sleeper", victim_token.c_str(), "300", static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  // Facts measured on the host.
  auto features = capture_command({opts.probe_binary.string(), "host-features"});
  facts_["features"] = features ? std::string(features->substr(0, features->find('\n'))) : "";
  std::string nss;
  for (const char* n : {"mnt", "net", "pid", "uts", "ipc", "cgroup", "user", "time"}) {
    std::string ino = ns_inode(n);
    if (!ino.empty()) nss += std::string(nss.empty() ? "" : ",") + n + "=" + ino;
  }
  facts_["host-ns"] = nss;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  facts_["host-hostname"] = host;
  facts_["host-ip"] = first_host_ipv4();
  facts_["launcher-pid"] = std::to_string(getpid());
  facts_["launcher-sid"] = std::to_string(getsid(0));

  args_.push_back("--canary-file=" + secret_file().string());
  args_.push_back("--canary-env=" + env_name_);
  args_.push_back("--canary-fd=" + std::to_string(fd_));
  args_.push_back("--victim-pid=" + std::to_string(victim_));
  args_.push_back("--abstract=" + abstract_name_);
  args_.push_back("--fs-socket=" + (scratch_ / "secret" / "agent.sock").string());
  args_.push_back("--tcp-port=" + std::to_string(tcp_port_));
  if (key_serial_ > 0) args_.push_back("--key-serial=" + std::to_string(key_serial_));
  if (keyring_serial_ > 0) args_.push_back("--launcher-keyring=" + std::to_string(keyring_serial_));
  if (shm_id_ >= 0 || msg_id_ >= 0) args_.push_back("--sysv-key=" + std::to_string(sysv_key_));
  if (mq_fd_ >= 0) args_.push_back("--mq-name=" + mq_name_);
  args_.push_back("--shm-canary=" + shm_name_);
  args_.push_back("--workdir=" + workdir().string());
  args_.push_back("--protected=" + protected_dir().string());
  args_.push_back("--scratch=" + scratch_.string());
  args_.push_back("--token=" + token_);
  args_.push_back("--sleeper-seconds=20");
  for (const auto& [k, v] : facts_) {
    if (!v.empty()) args_.push_back("--" + k + "=" + v);
  }
  return {};
}

std::vector<std::string> Canaries::probe_args() const { return args_; }

void Canaries::reset_workdir() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(workdir(), ec)) fs::remove_all(e.path(), ec);
  plant_workdir();
}

// protected/file (an absolute protected path) and, deeper down, files under names a policy may
// protect at every depth (F13 checks that existing ones cannot be changed). World-writable: only
// the policy, never file permissions, may keep the sandbox from changing them.
void Canaries::plant_workdir() {
  std::error_code ec;
  fs::create_directories(protected_dir(), ec);
  chmod(protected_dir().c_str(), 0777);
  {
    std::ofstream pf(protected_dir() / "file");
    pf << "protected\n";
  }
  chmod((protected_dir() / "file").c_str(), 0666);
  for (const char* rel : {"nested/.git/config", "nested/.envrc"}) {
    const fs::path f = workdir() / rel;
    fs::create_directories(f.parent_path(), ec);
    std::ofstream(f) << "[planted by the harness]\n";
    chmod(f.c_str(), 0666);
    for (fs::path d = f.parent_path(); d != workdir() && d != d.parent_path(); d = d.parent_path()) {
      chmod(d.c_str(), 0777);
    }
  }
}

Canaries::Connections Canaries::drain_connections() {
  Connections c;
  c.tcp = accept_all(tcp_fd_);
  c.abstract_unix = accept_all(abstract_fd_);
  c.fs_unix = accept_all(fs_sock_fd_);
  return c;
}

Canaries::~Canaries() {
  if (victim_ > 0) {
    kill(victim_, SIGKILL);
    waitpid(victim_, nullptr, 0);
  }
  if (fd_ >= 0) close(fd_);
  for (int f : {tcp_fd_, abstract_fd_, fs_sock_fd_}) {
    if (f >= 0) close(f);
  }
  if (!env_name_.empty()) unsetenv(env_name_.c_str());
  if (key_serial_ > 0) syscall(SYS_keyctl, kKeyctlInvalidate, key_serial_);
  if (shm_id_ >= 0) shmctl(shm_id_, IPC_RMID, nullptr);
  if (msg_id_ >= 0) msgctl(msg_id_, IPC_RMID, nullptr);
  if (sem_id_ >= 0) semctl(sem_id_, 0, IPC_RMID);
  if (mq_fd_ >= 0) {
    mq_close(mq_fd_);
    mq_unlink(mq_name_.c_str());
  }
  if (!shm_name_.empty()) unlink((fs::path("/dev/shm") / shm_name_).c_str());
  if (!scratch_.empty()) {
    std::error_code ec;
    fs::remove_all(scratch_, ec);
  }
}

}  // namespace kavach::probes
