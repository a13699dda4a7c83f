#include "util.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace probe {

std::string errname(int e) {
  if (e == 0) return "OK";
  const char* n = strerrorname_np(e);
  if (n != nullptr) return n;
  return "E" + std::to_string(e);
}

bool Attempt::denied() const {
  if (killed) return sig == SIGSYS;
  if (timed_out || ret >= 0) return false;
  return err == EPERM || err == EACCES || err == ENOSYS;
}

std::string Attempt::describe() const {
  if (timed_out) return "timeout";
  if (killed) return std::string("killed ") + (sigabbrev_np(sig) ? "SIG" + std::string(sigabbrev_np(sig)) : std::to_string(sig));
  if (ret >= 0) return "ret=" + std::to_string(ret);
  return errname(err);
}

namespace {
struct Wire {
  long ret;
  int err;
};
}  // namespace

Attempt attempt(const std::function<long()>& fn, int timeout_ms) {
  Attempt a;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    a.err = errno;
    return a;
  }
  pid_t pid = fork();
  if (pid < 0) {
    a.err = errno;
    close(p[0]);
    close(p[1]);
    return a;
  }
  if (pid == 0) {
    close(p[0]);
    errno = 0;
    long r = fn();
    Wire w{r, r < 0 ? errno : 0};
    (void)!write(p[1], &w, sizeof w);
    _exit(0);
  }
  close(p[1]);
  Wire w{};
  std::size_t got = 0;
  double deadline = now_ms() + timeout_ms;
  while (got < sizeof w) {
    int left = static_cast<int>(deadline - now_ms());
    if (left <= 0) {
      a.timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    int pr = poll(&pfd, 1, left);
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    ssize_t n = read(p[0], reinterpret_cast<char*>(&w) + got, sizeof w - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(p[0]);
  if (a.timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got == sizeof w) {
    a.ret = w.ret;
    a.err = w.err;
    a.timed_out = false;
  } else if (!a.timed_out && WIFSIGNALED(status)) {
    a.killed = true;
    a.sig = WTERMSIG(status);
  } else if (!a.timed_out) {
    a.killed = true;  // exited without reporting (e.g. the call itself exited)
    a.sig = 0;
    a.ret = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return a;
}

Attempt attempt_here(const std::function<long()>& fn) {
  Attempt a;
  errno = 0;
  a.ret = fn();
  a.err = a.ret < 0 ? errno : 0;
  return a;
}

std::optional<std::string> read_file(const std::string& path, std::size_t max) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  while (out.size() < max) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  int saved = errno;
  close(fd);
  errno = saved;
  if (out.size() > max) out.resize(max);
  return out;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) pos = s.size();
    if (pos > start) out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return std::string(s);
}

std::string readlink_str(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '.';
  }
  if (s.size() > max) out += "...";
  return out;
}

std::uint64_t ns_inode(const std::string& name, const std::string& pid) {
  std::string link = readlink_str("/proc/" + pid + "/ns/" + name);  // "net:[4026531840]"
  auto lb = link.find('[');
  auto rb = link.find(']');
  if (lb == std::string::npos || rb == std::string::npos || rb <= lb) return 0;
  return parse_u64(link.substr(lb + 1, rb - lb - 1)).value_or(0);
}

bool MountEntry::has_option(std::string_view opt) const {
  for (const auto& o : split(options, ',')) {
    if (o == opt) return true;
  }
  return false;
}

namespace {
// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      bool ok = true;
      for (std::size_t k = 1; k <= 3; ++k) {
        if (s[i + k] < '0' || s[i + k] > '7') {
          ok = false;
          break;
        }
        v = v * 8 + (s[i + k] - '0');
      }
      if (ok) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}
}  // namespace

std::vector<MountEntry> mountinfo() {
  std::vector<MountEntry> out;
  auto text = read_file("/proc/self/mountinfo", 4 << 20);
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto f = split(line, ' ');
    if (f.size() < 10) continue;
    MountEntry m;
    m.root = unescape(f[3]);
    m.mount_point = unescape(f[4]);
    m.options = f[5];
    std::size_t i = 6;
    while (i < f.size() && f[i] != "-") ++i;
    if (i + 1 < f.size()) m.fstype = f[i + 1];
    if (i + 2 < f.size()) m.source = unescape(f[i + 2]);
    if (i + 3 < f.size()) m.super_options = f[i + 3];
    out.push_back(std::move(m));
  }
  return out;
}

std::string proc_status(std::string_view key) {
  auto text = read_file("/proc/self/status");
  if (!text) return {};
  for (const auto& line : split(*text, '\n')) {
    if (line.size() > key.size() && std::string_view(line).substr(0, key.size()) == key &&
        line[key.size()] == ':') {
      return trim(std::string_view(line).substr(key.size() + 1));
    }
  }
  return {};
}

std::optional<unsigned long long> parse_u64(std::string_view s, int base) {
  std::string t(s);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(t.c_str(), &end, base);
  if (errno != 0 || end == t.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::vector<pid_t> visible_pids() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    auto v = parse_u64(e->d_name);
    if (v) out.push_back(static_cast<pid_t>(*v));
  }
  closedir(d);
  return out;
}

int connect_with_timeout(int fd, const void* addr, unsigned len, int timeout_ms) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  int r = connect(fd, static_cast<const sockaddr*>(addr), len);
  if (r == 0) return 0;
  if (errno != EINPROGRESS) return -errno;
  pollfd pfd{fd, POLLOUT, 0};
  int pr = poll(&pfd, 1, timeout_ms);
  if (pr <= 0) return -ETIMEDOUT;
  int soerr = 0;
  socklen_t sl = sizeof soerr;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) return -errno;
  return soerr == 0 ? 0 : -soerr;
}

std::string scratch_name(const std::string& dir, std::string_view tag) {
  static int counter = 0;
  return dir + "/kavach-probe-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + "-" +
         std::string(tag);
}

double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace probe

namespace probe {

Captured run_capture(const std::string& path, const std::vector<std::string>& argv,
                     const std::function<void()>& pre_exec, int timeout_ms) {
  Captured c;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return c;
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return c;
  }
  if (pid == 0) {
    dup2(p[1], STDOUT_FILENO);
    if (pre_exec) pre_exec();
    execv(path.c_str(), av.data());
    _exit(127);
  }
  close(p[1]);
  double deadline = now_ms() + timeout_ms;
  for (;;) {
    int left = static_cast<int>(deadline - now_ms());
    if (left <= 0) {
      c.timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    int r = poll(&pfd, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[1024];
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c.out.size() < 65536) c.out.append(buf, static_cast<std::size_t>(n));
  }
  close(p[0]);
  if (c.timed_out) kill(pid, SIGKILL);
  while (waitpid(pid, &c.status, 0) < 0 && errno == EINTR) {
  }
  return c;
}

std::string kv_get(const std::string& text, const std::string& key) {
  for (const auto& tok : split(trim(text), ' ')) {
    if (starts_with(tok, key + "=")) return tok.substr(key.size() + 1);
  }
  return {};
}

}  // namespace probe
