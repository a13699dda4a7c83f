// kavach-guard --session: the long-lived command of a session (src/sandbox/session_backend.cpp).
// One thread, one poll loop: requests on stdin, replies and every started command's output on
// stdout, framed (core/session_frames.hpp). It starts commands as its children in their own
// process groups, reaps everything (orphans included: it is the session's subreaper), and when
// told to stop — or when kavach goes away and its stdin ends — kills every process it can see.
// It runs fully confined (same filter, Landlock domain, ids and limits as any command of the
// sandbox): it holds no power the session's commands do not have.
#include "guard/session_init.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "core/session_frames.hpp"

namespace kavach::guard {
namespace {

namespace sf = kavach::session_frames;

struct Running {
  pid_t pid = -1;
  int out = -1;       // the command's stdout, read here
  int err = -1;       // its stderr
  int in = -1;        // its stdin, written here
  std::string stdin_pending;
  bool stdin_eof = false;
  bool exited = false;
  int status = 0;
};

int g_sigchld_w = -1;

extern "C" void on_sigchld(int) {
  const int saved = errno;
  const char b = 1;
  (void)!::write(g_sigchld_w, &b, 1);
  errno = saved;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

class Init {
 public:
  int run();

 private:
  void send(sf::Type t, std::uint32_t id, std::string_view payload = {}) {
    std::string f;
    sf::append_frame(f, t, id, payload);
    if (!write_all(STDOUT_FILENO, f.data(), f.size())) stop_ = true;  // kavach is gone
  }
  void handle(const sf::Header& h, const std::string& payload);
  void start(std::uint32_t id, const std::string& payload);
  void reap();
  void finish_exited();
  bool pump(int& fd, sf::Type t, std::uint32_t id);
  void flush_stdin(Running& r);
  void signal_all(int sig);
  std::string stats();
  void wait_stopped();
  void kill_everything();

  std::map<std::uint32_t, Running> running_;
  std::vector<int> discard_;  // pipes of finished commands still held open by their descendants
  int sig_r_ = -1;
  bool stop_ = false;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Strings from a start request; false when malformed.
bool split(const std::string& payload, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < payload.size()) {
    const std::size_t z = payload.find('\0', i);
    if (z == std::string::npos) return false;
    out.emplace_back(payload, i, z - i);
    i = z + 1;
  }
  return true;
}

void Init::start(std::uint32_t id, const std::string& payload) {
  std::vector<std::string> parts;
  std::size_t argc = 0;
  std::size_t envc = 0;
  if (!split(payload, parts) || parts.empty()) return send(sf::Type::failed, id, sf::int_payload(EINVAL) + "bad start");
  argc = std::strtoul(parts[0].c_str(), nullptr, 10);
  if (argc == 0 || parts.size() < argc + 3) return send(sf::Type::failed, id, sf::int_payload(EINVAL) + "bad start");
  envc = std::strtoul(parts[argc + 1].c_str(), nullptr, 10);
  if (parts.size() != argc + envc + 3) return send(sf::Type::failed, id, sf::int_payload(EINVAL) + "bad start");
  if (running_.count(id) != 0) return send(sf::Type::failed, id, sf::int_payload(EEXIST) + "id in use");
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (std::size_t k = 0; k < argc; ++k) argv.push_back(parts[1 + k].data());
  argv.push_back(nullptr);
  std::string path_var;
  for (std::size_t k = 0; k < envc; ++k) {
    std::string& e = parts[argc + 2 + k];
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  const std::string& cwd = parts.back();

  int in[2];
  int out[2];
  int err[2];
  int report[2];  // the child's execve errno, or EOF on success (close-on-exec)
  if (::pipe2(in, O_CLOEXEC) != 0) return send(sf::Type::failed, id, sf::int_payload(errno) + "pipe");
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    return send(sf::Type::failed, id, sf::int_payload(errno) + "pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1], report[0], report[1]}) ::close(fd);
    return send(sf::Type::failed, id, sf::int_payload(e) + "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGCHLD, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    int e = 0;
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) {
      e = errno;
    } else if (std::strchr(argv[0], '/') != nullptr) {
      ::execve(argv[0], argv.data(), envp.data());
      e = errno;
    } else {
      // $PATH of the command's own environment, like execvpe.
      e = ENOENT;
      std::string dirs = path_var.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_var;
      std::size_t i = 0;
      while (i <= dirs.size()) {
        std::size_t c = dirs.find(':', i);
        if (c == std::string::npos) c = dirs.size();
        std::string cand = dirs.substr(i, c - i);
        cand = (cand.empty() ? "." : cand) + "/" + argv[0];
        ::execve(cand.c_str(), argv.data(), envp.data());
        if (errno != ENOENT && errno != ENOTDIR) e = errno;
        i = c + 1;
      }
    }
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from here: no race with a signal sent right after `started`
  for (int fd : {in[0], out[1], err[1], report[1]}) ::close(fd);
  int e = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof e)) {
    for (int fd : {in[1], out[0], err[0]}) ::close(fd);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return send(sf::Type::failed, id, sf::int_payload(e) + std::string(std::strerror(e)));
  }
  for (int fd : {in[1], out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  Running r;
  r.pid = pid;
  r.in = in[1];
  r.out = out[0];
  r.err = err[0];
  running_[id] = r;
  send(sf::Type::started, id, sf::int_payload(pid));
}

void Init::flush_stdin(Running& r) {
  while (r.in >= 0 && !r.stdin_pending.empty()) {
    const ssize_t w = ::write(r.in, r.stdin_pending.data(), r.stdin_pending.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      r.stdin_pending.clear();  // EPIPE: the command stopped reading
      close_fd(r.in);
      return;
    }
    r.stdin_pending.erase(0, static_cast<std::size_t>(w));
  }
  if (r.stdin_eof && r.stdin_pending.empty()) close_fd(r.in);
}

void Init::handle(const sf::Header& h, const std::string& payload) {
  switch (static_cast<sf::Type>(h.type)) {
    case sf::Type::start:
      return start(h.id, payload);
    case sf::Type::stdin_data:
    case sf::Type::stdin_eof: {
      auto it = running_.find(h.id);
      if (it == running_.end()) return;
      if (h.type == static_cast<std::uint8_t>(sf::Type::stdin_eof)) it->second.stdin_eof = true;
      if (it->second.in >= 0) it->second.stdin_pending += payload;
      return flush_stdin(it->second);
    }
    case sf::Type::signal: {
      auto it = running_.find(h.id);
      if (it != running_.end() && !it->second.exited) ::kill(-it->second.pid, sf::int_of(payload));
      return;
    }
    case sf::Type::stats:
      return send(sf::Type::stats_reply, h.id, stats());
    case sf::Type::freeze:
      signal_all(SIGSTOP);
      wait_stopped();
      return send(sf::Type::ack, h.id);
    case sf::Type::thaw:
      signal_all(SIGCONT);
      return send(sf::Type::ack, h.id);
    case sf::Type::shutdown:
      stop_ = true;
      return;
    default:
      return;  // unknown: ignored (kavach and the init are built together)
  }
}

// Moves what a command wrote into frames; false at EOF (the descriptor is then closed).
bool Init::pump(int& fd, sf::Type t, std::uint32_t id) {
  char buf[65536];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      send(t, id, std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    close_fd(fd);
    return false;
  }
  return true;
}

void Init::reap() {
  char b[64];
  while (::read(sig_r_, b, sizeof b) > 0) {
  }
  for (;;) {
    int st = 0;
    const pid_t p = ::waitpid(-1, &st, WNOHANG);
    if (p <= 0) break;
    for (auto& [id, r] : running_) {
      if (r.pid == p) {
        r.exited = true;
        r.status = st;
      }
    }
  }
}

// A command that exited: what it wrote before is in its pipes; send it, then `exited`. Output
// of descendants it left running is read and dropped from then on (they keep running, and a
// write of theirs never fails because nobody reads).
void Init::finish_exited() {
  for (auto it = running_.begin(); it != running_.end();) {
    Running& r = it->second;
    if (!r.exited) {
      ++it;
      continue;
    }
    if (r.out >= 0) pump(r.out, sf::Type::out, it->first);
    if (r.err >= 0) pump(r.err, sf::Type::err, it->first);
    send(sf::Type::exited, it->first, sf::int_payload(r.status));
    for (int* fd : {&r.out, &r.err}) {
      if (*fd >= 0) discard_.push_back(*fd);
      *fd = -1;
    }
    close_fd(r.in);
    it = running_.erase(it);
  }
}

// Every process this init can see but itself and its ancestors (kavach-guard when paths are
// protected, the backend's own PID 1): the session's commands and what they left running.
void Init::signal_all(int sig) {
  const pid_t spare[] = {::getpid(), ::getppid(), 1};
  for (int round = 0; round < 3; ++round) {  // again: a process may have forked meanwhile
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      bool keep = false;
      for (pid_t s : spare) keep = keep || s == pid;
      if (!keep) ::kill(static_cast<pid_t>(pid), sig);
    }
    ::closedir(d);
  }
}

std::string Init::stats() {
  long pids = 0;
  long stopped = 0;
  unsigned long long ticks = 0;
  unsigned long long rss_pages = 0;
  const pid_t spare[] = {::getpid(), ::getppid(), 1};  // as in signal_all: the session's own only
  DIR* d = ::opendir("/proc");
  while (d != nullptr) {
    dirent* e = ::readdir(d);
    if (e == nullptr) break;
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == spare[0] || pid == spare[1] || pid == spare[2]) continue;
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* f = std::fopen(path, "re");
    if (f == nullptr) continue;
    char line[1024] = {0};
    const bool got = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    const char* rp = got ? std::strrchr(line, ')') : nullptr;
    if (rp == nullptr) continue;
    char state = 0;
    unsigned long long v[22] = {0};
    // Fields after "(comm)": state, then ppid... utime is the 12th, stime 13th, rss the 22nd.
    if (std::sscanf(rp + 2, "%c %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                    &state, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11],
                    &v[12], &v[13], &v[14], &v[15], &v[16], &v[17], &v[18], &v[19], &v[20]) < 22) {
      continue;
    }
    ++pids;
    if (state == 'T' || state == 't') ++stopped;
    ticks += v[10] + v[11];
    rss_pages += v[20];
  }
  if (d != nullptr) ::closedir(d);
  const long page_kib = ::sysconf(_SC_PAGESIZE) / 1024;
  return "pids=" + std::to_string(pids) + " stopped=" + std::to_string(stopped) + " cpu_ticks=" +
         std::to_string(ticks) + " ticks_per_s=" + std::to_string(::sysconf(_SC_CLK_TCK)) +
         " rss_kib=" + std::to_string(rss_pages * static_cast<unsigned long long>(page_kib));
}

// SIGSTOP takes effect asynchronously: answer `freeze` once every process shows it (or after 2 s).
void Init::wait_stopped() {
  for (int i = 0; i < 200; ++i) {
    const std::string s = stats();
    const auto num = [&s](const char* key) {
      const std::size_t at = s.find(key);
      return at == std::string::npos ? -1L : std::strtol(s.c_str() + at + std::strlen(key), nullptr, 10);
    };
    if (num("pids=") == num("stopped=")) return;
    timespec ts{0, 10 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
}

void Init::kill_everything() {
  signal_all(SIGKILL);
  for (auto& [id, r] : running_) ::kill(-r.pid, SIGKILL);
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
}

int Init::run() {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans come here to be reaped, not to the backend's PID 1
  // Not dumpable: the session's commands run as the same user, but without CAP_SYS_PTRACE they
  // cannot open the init's /proc entries — its channel (other execs' stdin and environment, the
  // frames kavach trusts) stays out of their reach. A command's execve makes it dumpable again.
  ::prctl(PR_SET_DUMPABLE, 0);
  ::signal(SIGPIPE, SIG_IGN);
  int sp[2];
  if (::pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0) return 125;
  sig_r_ = sp[0];
  g_sigchld_w = sp[1];
  struct sigaction sa {};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  ::sigaction(SIGCHLD, &sa, nullptr);
  ::fcntl(STDIN_FILENO, F_SETFL, ::fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
  send(sf::Type::ready, 0, sf::int_payload(::getpid()));
  sf::Reader reader;
  while (!stop_) {
    std::vector<pollfd> fds;
    std::vector<std::pair<std::uint32_t, int>> owners;  // (id, 0 out / 1 err / 2 in / 3 discard)
    fds.push_back({STDIN_FILENO, POLLIN, 0});
    owners.push_back({0, -1});
    fds.push_back({sig_r_, POLLIN, 0});
    owners.push_back({0, -2});
    for (auto& [id, r] : running_) {
      if (r.out >= 0) fds.push_back({r.out, POLLIN, 0}), owners.push_back({id, 0});
      if (r.err >= 0) fds.push_back({r.err, POLLIN, 0}), owners.push_back({id, 1});
      if (r.in >= 0 && !r.stdin_pending.empty()) fds.push_back({r.in, POLLOUT, 0}), owners.push_back({id, 2});
    }
    for (std::size_t k = 0; k < discard_.size(); ++k) {
      fds.push_back({discard_[k], POLLIN, 0});
      owners.push_back({static_cast<std::uint32_t>(k), 3});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    std::vector<int> drop;
    for (std::size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      const auto [id, what] = owners[k];
      if (what == -1) {
        char buf[65536];
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          stop_ = true;  // kavach is gone: the session ends with it
          break;
        }
        if (n > 0) reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        sf::Header h;
        std::string payload;
        bool bad = false;
        while (!stop_ && reader.next(h, payload, bad)) handle(h, payload);
        if (bad) stop_ = true;
      } else if (what == -2) {
        reap();
      } else if (what == 3) {
        char buf[65536];
        const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) drop.push_back(fds[k].fd);
      } else {
        auto it = running_.find(id);
        if (it == running_.end()) continue;
        Running& r = it->second;
        if (what == 0 && r.out >= 0) pump(r.out, sf::Type::out, id);
        if (what == 1 && r.err >= 0) pump(r.err, sf::Type::err, id);
        if (what == 2) flush_stdin(r);
      }
    }
    for (int fd : drop) {
      ::close(fd);
      std::erase(discard_, fd);
    }
    reap();
    finish_exited();
  }
  kill_everything();
  return 0;
}

}  // namespace

int run_session_init() {
  Init init;
  return init.run();
}

}  // namespace kavach::guard
