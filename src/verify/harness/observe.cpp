#include "observe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace kavach::probes {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0') out.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return out;
}

double mono_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

namespace {

// Host processes with an open descriptor on one of the files (compared by device and inode:
// a process in another mount namespace shows another path for the same file).
std::vector<pid_t> holders_of(const std::vector<std::pair<dev_t, ino_t>>& files) {
  std::vector<pid_t> out;
  if (files.empty()) return out;
  const pid_t self = getpid();
  for (pid_t p : all_pids()) {
    if (p == self) continue;
    const std::string fd_dir = "/proc/" + std::to_string(p) + "/fd";
    DIR* d = opendir(fd_dir.c_str());
    if (d == nullptr) continue;
    bool holds = false;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      struct stat st{};
      if (stat((fd_dir + "/" + e->d_name).c_str(), &st) != 0) continue;
      for (const auto& [dev, ino] : files) holds = holds || (st.st_dev == dev && st.st_ino == ino);
      if (holds) break;
    }
    closedir(d);
    if (holds) out.push_back(p);
  }
  return out;
}

std::vector<std::pair<dev_t, ino_t>> markers(const std::string& dir, const std::string& needle) {
  std::vector<std::pair<dev_t, ino_t>> out;
  if (dir.empty()) return out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n.rfind(".sleeper-", 0) != 0 || n.find(needle) == std::string::npos) continue;
    struct stat st{};
    if (lstat((dir + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.emplace_back(st.st_dev, st.st_ino);
  }
  closedir(d);
  return out;
}

}  // namespace

std::vector<pid_t> find_processes(const std::string& needle, const std::string& marker_dir) {
  // Only the planted processes themselves: argv = [kavach-probe, sleeper, <token...>, secs].
  // Wrappers (bwrap, the launcher) carry the same words in their argv and must not count.
  std::vector<pid_t> out;
  for (pid_t p : all_pids()) {
    std::string cmd = slurp("/proc/" + std::to_string(p) + "/cmdline");
    std::vector<std::string> argv;
    std::size_t start = 0;
    for (std::size_t i = 0; i < cmd.size(); ++i) {
      if (cmd[i] == '\0') {
        argv.push_back(cmd.substr(start, i - start));
        start = i + 1;
      }
    }
    if (argv.size() >= 3 && argv[1] == "sleeper" && argv[2].find(needle) != std::string::npos) out.push_back(p);
  }
  for (pid_t p : holders_of(markers(marker_dir, needle))) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

void kill_processes(const std::string& needle, const std::string& marker_dir) {
  for (pid_t p : find_processes(needle, marker_dir)) kill(p, SIGKILL);
}

double wait_gone(const std::string& needle, std::chrono::milliseconds timeout, const std::string& marker_dir) {
  double t0 = mono_ms();
  while (mono_ms() - t0 < static_cast<double>(timeout.count())) {
    if (find_processes(needle, marker_dir).empty()) return mono_ms() - t0;
    usleep(marker_dir.empty() ? 5000 : 20'000);
  }
  return -1;
}

std::set<std::string> mount_snapshot() {
  std::set<std::string> out;
  std::istringstream in(slurp("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    // Drop "id parent-id" so that re-numbering alone is no difference.
    auto a = line.find(' ');
    auto b = a == std::string::npos ? a : line.find(' ', a + 1);
    out.insert(b == std::string::npos ? line : line.substr(b + 1));
  }
  return out;
}

std::set<std::string> dir_snapshot(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  closedir(d);
  return out;
}

int probe_zombies() {
  int n = 0;
  for (pid_t p : all_pids()) {
    std::string st = slurp("/proc/" + std::to_string(p) + "/stat");
    auto rp = st.rfind(')');
    if (rp == std::string::npos || rp + 2 >= st.size()) continue;
    if (st[rp + 2] != 'Z' || st.find("(kavach-probe)") == std::string::npos) continue;
    // The harness's own not-yet-reaped children are not a sandbox leak.
    const long ppid = std::strtol(st.c_str() + rp + 3, nullptr, 10);
    if (ppid == static_cast<long>(getpid())) continue;
    ++n;
  }
  return n;
}

namespace {
void walk(const std::string& dir, int depth, const std::function<void(const std::string&, const struct stat&)>& fn) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    struct stat st{};
    if (lstat(p.c_str(), &st) != 0) continue;
    fn(p, st);
    if (S_ISDIR(st.st_mode) && depth < 8) walk(p, depth + 1, fn);
  }
  closedir(d);
}
}  // namespace

std::vector<std::string> root_setuid_files(const std::string& dir) {
  std::vector<std::string> out;
  walk(dir, 0, [&](const std::string& p, const struct stat& st) {
    if (S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & (S_ISUID | S_ISGID))) out.push_back(p);
  });
  return out;
}

std::vector<std::string> cgroup_leftovers(pid_t launcher) {
  std::vector<std::string> out;
  const std::string prefix = "run-" + std::to_string(launcher) + "-";
  std::vector<std::string> parents = {"/sys/fs/cgroup/kavach"};
  for (const auto& h : dir_snapshot("/sys/fs/cgroup")) parents.push_back("/sys/fs/cgroup/" + h + "/kavach");
  for (const auto& parent : parents) {
    for (const auto& n : dir_snapshot(parent)) {
      if (n.rfind(prefix, 0) == 0) out.push_back(parent + "/" + n);
    }
  }
  return out;
}

std::vector<std::string> core_files(const std::string& dir) {
  std::vector<std::string> out;
  walk(dir, 0, [&](const std::string& p, const struct stat& st) {
    std::string base = p.substr(p.rfind('/') + 1);
    if (S_ISREG(st.st_mode) && (base == "core" || base.rfind("core.", 0) == 0)) out.push_back(p);
  });
  return out;
}

QuotaWatcher::QuotaWatcher() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      int fd = inotify_init1(IN_CLOEXEC);
      checks_.fetch_add(1);
      if (fd < 0) failures_.fetch_add(1);
      else close(fd);
      usleep(50 * 1000);
    }
  });
}

QuotaWatcher::~QuotaWatcher() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

namespace {

// Child side of collect_outputs: walks dir and reads files; writes "files saw_secret detail".
void collect_child(const std::string& dir, const std::string& secret, bool naive, int out_fd) {
  int files = 0;
  bool saw = false;
  std::string detail;
  int root = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = fdopendir(dup(root));
  while (d != nullptr) {
    dirent* e = readdir(d);
    if (e == nullptr) break;
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    int fd = -1;
    if (naive) {
      fd = open((dir + "/" + n).c_str(), O_RDONLY | O_CLOEXEC);  // follows links, blocks on FIFOs
    } else {
      open_how how{};
      how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      fd = static_cast<int>(syscall(SYS_openat2, root, n.c_str(), &how, sizeof how));
      struct stat st{};
      if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
        detail += " skipped non-regular " + n + ";";
      } else if (fd < 0) {
        detail += " refused " + n + " (" + std::strerror(errno) + ");";
      }
    }
    if (fd < 0) continue;
    std::string content;
    char buf[4096];
    ssize_t k;
    while (content.size() < (1u << 20) && (k = read(fd, buf, sizeof buf)) > 0) content.append(buf, static_cast<std::size_t>(k));
    close(fd);
    ++files;
    if (!secret.empty() && content.find(secret) != std::string::npos) {
      saw = true;
      detail += " " + n + " carried the host secret;";
    }
  }
  if (d != nullptr) closedir(d);
  std::string msg = std::to_string(files) + " " + (saw ? "1" : "0") + " " + detail;
  (void)!write(out_fd, msg.data(), msg.size());
}

}  // namespace

CollectResult collect_outputs(const std::string& dir, const std::string& secret, bool naive,
                              std::chrono::milliseconds timeout) {
  CollectResult r;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return r;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    collect_child(dir, secret, naive, p[1]);
    _exit(0);
  }
  close(p[1]);
  std::string data;
  double t0 = mono_ms();
  for (;;) {
    int left = static_cast<int>(static_cast<double>(timeout.count()) - (mono_ms() - t0));
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd pfd{p[0], POLLIN, 0};
    if (poll(&pfd, 1, left) <= 0) continue;
    char buf[4096];
    ssize_t k = read(p[0], buf, sizeof buf);
    if (k <= 0) break;
    data.append(buf, static_cast<std::size_t>(k));
  }
  close(p[0]);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  if (r.timed_out) {
    r.detail = "copy-out blocked (timed out)";
    return r;
  }
  std::istringstream in(data);
  int saw = 0;
  in >> r.files >> saw;
  std::getline(in, r.detail);
  r.saw_secret = saw != 0;
  return r;
}

}  // namespace kavach::probes
