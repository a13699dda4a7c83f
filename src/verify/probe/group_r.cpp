// R — resources. Every attack is bounded (a cap a little above the expected limit, a few seconds)
// so that on an open host it stops by itself: reaching the cap is what FAIL means.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "probe.hpp"
#include "util.hpp"

namespace probe {

// Shared with T/H (spawns `self sleeper <token> <secs>` in its own session, optionally stopped).
pid_t spawn_detached_sleeper(const Expect& e, const std::string& suffix, bool stopped);

namespace {

constexpr long kMiB = 1 << 20;

long cap_from(const Expect& e, const char* key, long fallback, long factor_num, long slack, long hard_max) {
  if (auto v = e.num(key)) return std::min<long>(hard_max, static_cast<long>(*v) * factor_num + slack);
  return fallback;
}

// A limit above what the probe may spend on a shared host cannot be demonstrated here.
std::optional<Outcome> beyond_bound(const Expect& e, const char* key, long bound, const char* what) {
  auto v = e.num(key);
  if (!v || *v <= bound) return std::nullopt;
  return info(std::string(what) + " limit " + std::to_string(*v / kMiB) + " MiB is above this probe's bound of " +
              std::to_string(bound / kMiB) + " MiB: not exercised (verify a tighter policy to test it)");
}

std::string within(const Expect& e, const char* key, long count) {
  if (auto v = e.num(key)) return count <= *v ? "" : " above the expected " + std::to_string(*v);
  return "";
}

Outcome r01_fork_bomb(const Expect& e) {
  long cap = cap_from(e, "pids-max", 512, 2, 32, 1024);
  long n = 0;
  int err = 0;
  for (; n < cap; ++n) {
    pid_t p = fork();
    if (p < 0) {
      err = errno;
      break;
    }
    if (p == 0) {
      alarm(20);  // bounded even if nobody kills us
      for (;;) pause();
    }
  }
  std::string d = "forked " + std::to_string(n) + " (cap " + std::to_string(cap) + ")";
  if (err == 0) return fail(d + " without hitting a limit");
  std::string over = within(e, "pids-max", n);
  if (!over.empty()) return fail(d + ", " + errname(err) + over, err);
  return pass(d + ", then " + errname(err), err);
}

void* thread_sleep(void*) {
  timespec ts{20, 0};
  nanosleep(&ts, nullptr);
  return nullptr;
}

Outcome r02_thread_bomb(const Expect& e) {
  long cap = cap_from(e, "pids-max", 512, 2, 32, 1024);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  long n = 0;
  int err = 0;
  for (; n < cap; ++n) {
    pthread_t t;
    int r = pthread_create(&t, &attr, thread_sleep, nullptr);
    if (r != 0) {
      err = r;
      break;
    }
  }
  std::string d = "created " + std::to_string(n) + " threads (cap " + std::to_string(cap) + ")";
  if (err == 0) return fail(d + " without hitting a limit");
  std::string over = within(e, "pids-max", n);
  if (!over.empty()) return fail(d + ", " + errname(err) + over, err);
  return pass(d + ", then " + errname(err), err);
}

constexpr long kBalloonBound = 1024 * kMiB;
constexpr long kTmpfsBound = 256 * kMiB;
constexpr long kFsizeBound = 256 * kMiB;

Outcome r03_memory_balloon(const Expect& e) {
  if (auto o = beyond_bound(e, "mem-limit", kBalloonBound - 64 * kMiB, "memory")) return *o;
  long cap = cap_from(e, "mem-limit", 256 * kMiB, 1, 64 * kMiB, kBalloonBound);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail("pipe", errno);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    long total = 0;
    while (total < cap) {
      void* m = mmap(nullptr, static_cast<std::size_t>(4 * kMiB), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) _exit(3);
      std::memset(m, 0x5a, static_cast<std::size_t>(4 * kMiB));  // touch every page
      total += 4 * kMiB;
      (void)!write(p[1], &total, sizeof total);
    }
    _exit(0);
  }
  close(p[1]);
  long last = 0, v = 0;
  while (read(p[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) last = v;
  close(p[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  std::string at = std::to_string(last / kMiB) + " MiB";
  if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) return pass("balloon OOM-killed at " + at);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 3) return pass("allocation refused (ENOMEM) at " + at, ENOMEM);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    return fail("balloon reached its cap of " + std::to_string(cap / kMiB) + " MiB without a limit");
  }
  return fail("balloon ended unexpectedly (status " + std::to_string(st) + ") at " + at);
}

struct Fill {
  long written = 0;
  int err = 0;  // ENOSPC/EDQUOT/EFBIG or 0 when the cap was reached
};

// Writes 1 MiB chunks into files under dir; a file that hits EFBIG (RLIMIT_FSIZE) is replaced by
// the next one unless stop_on_efbig. Everything written is removed again.
Fill fill_dir(const std::string& dir, long cap, bool stop_on_efbig) {
  signal(SIGXFSZ, SIG_IGN);
  static char chunk[1 << 20];
  std::memset(chunk, 'f', sizeof chunk);
  Fill f;
  std::vector<std::string> files;
  int fd = -1;
  while (f.written < cap) {
    if (fd < 0) {
      files.push_back(scratch_name(dir, "fill"));
      fd = open(files.back().c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0) {
        f.err = errno;
        files.pop_back();
        break;
      }
    }
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n > 0) f.written += n;
    if (n == static_cast<ssize_t>(sizeof chunk)) continue;
    int err = n < 0 ? errno : EFBIG;
    if (err == EFBIG && !stop_on_efbig && files.size() < 4096) {
      close(fd);
      fd = -1;
      continue;
    }
    f.err = err;
    break;
  }
  if (fd >= 0) close(fd);
  for (const auto& p : files) unlink(p.c_str());
  return f;
}

Outcome r04_tmpfs_fill(const Expect& e) {
  if (auto o = beyond_bound(e, "tmpfs-limit", kTmpfsBound - 16 * kMiB, "tmpfs")) return *o;
  long cap = cap_from(e, "tmpfs-limit", 96 * kMiB, 1, 16 * kMiB, kTmpfsBound);
  std::string d;
  bool bad = false;
  for (const char* dir : {"/tmp", "/dev/shm"}) {
    Fill f = fill_dir(dir, cap, false);
    d += std::string(" ") + dir + ": " + std::to_string(f.written / kMiB) + " MiB then " +
         (f.err ? errname(f.err) : std::string("cap")) + ";";
    if (f.err != ENOSPC && f.err != EDQUOT) bad = true;
    if (auto lim = e.num("tmpfs-limit"); lim && f.written > *lim + kMiB) bad = true;
  }
  if (bad) return fail("tmpfs not bounded at the configured size:" + d);
  return pass(trim(d), ENOSPC);
}

Outcome r05_disk_fill(const Expect& e) {
  if (!e.has("workdir")) return skip("harness gave no --workdir");
  if (auto o = beyond_bound(e, "fsize-limit", kFsizeBound - 8 * kMiB, "file size")) return *o;
  long cap = cap_from(e, "fsize-limit", 64 * kMiB, 1, 8 * kMiB, kFsizeBound);
  Fill f = fill_dir(e.str("workdir"), cap, true);
  std::string d = "work dir: " + std::to_string(f.written / kMiB) + " MiB then " +
                  (f.err ? errname(f.err) : std::string("cap ") + std::to_string(cap / kMiB) + " MiB");
  if (f.err != EFBIG && f.err != ENOSPC && f.err != EDQUOT) return fail(d + " (no limit)");
  if (auto lim = e.num("fsize-limit"); lim && f.written > *lim) return fail(d + " (above the limit)", f.err);
  return pass(d, f.err);
}

Outcome r06_inode_exhaustion(const Expect& e) {
  const long cap = 20000;
  // kavach's tmpfs holds one inode per 4 KiB of its size: a large /tmp is not exercised here.
  if (auto lim = e.num("tmpfs-limit"); lim && *lim / 4096 > cap) {
    return info("tmpfs of " + std::to_string(*lim / kMiB) + " MiB allows about " + std::to_string(*lim / 4096) +
                " inodes, above this probe's bound of " + std::to_string(cap) +
                " files: not exercised (verify a tighter policy to test it)");
  }
  std::string dir = scratch_name("/tmp", "inodes");
  if (mkdir(dir.c_str(), 0700) != 0) return fail("mkdir in /tmp failed", errno);
  long n = 0;
  int err = 0;
  double end = now_ms() + 3000;
  for (; n < cap && now_ms() < end; ++n) {
    std::string p = dir + "/" + std::to_string(n);
    int fd = open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
      err = errno;
      break;
    }
    close(fd);
  }
  for (long i = 0; i < n; ++i) unlink((dir + "/" + std::to_string(i)).c_str());
  rmdir(dir.c_str());
  std::string d = "created " + std::to_string(n) + " files in /tmp";
  if (err == ENOSPC || err == EDQUOT) return pass(d + ", then " + errname(err), err);
  return fail(d + (err ? ", then " + errname(err) : " without hitting an inode limit"), err);
}

Outcome r07_fd_exhaustion(const Expect& e) {
  long cap = cap_from(e, "nofile-limit", 20000, 1, 16, 65536);
  int base = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (base < 0) base = 0;
  long n = 0;
  int err = 0;
  for (; n < cap; ++n) {
    if (fcntl(base, F_DUPFD_CLOEXEC, 0) < 0) {
      err = errno;
      break;
    }
  }
  std::string d = "opened " + std::to_string(n) + " fds";
  if (err != EMFILE && err != ENFILE) return fail(d + " without EMFILE (cap " + std::to_string(cap) + ")", err);
  std::string over = within(e, "nofile-limit", n);
  if (!over.empty()) return fail(d + ", then EMFILE" + over, err);
  return pass(d + ", then " + errname(err), err);
}

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Spinners are separate processes, each in its own session: with scheduler autogroups a busy
// shared host divides CPU per session, so many sessions still win a clear share on an open
// host, while a CPU quota caps the whole sandbox whatever the session layout.
Outcome r08_cpu_spin(const Expect& e) {
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int procs = static_cast<int>(std::clamp<long>(4 * ncpu, 4, 16));
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail("pipe", errno);
  double w0 = now_ms();
  int started = 0;
  for (int i = 0; i < procs; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      setsid();
      double end = w0 + 1500;
      volatile unsigned long x = 0;
      while (now_ms() < end) {
        for (int k = 0; k < 10000; ++k) x = x + static_cast<unsigned long>(k);
      }
      double used = cpu_ms();
      (void)!write(p[1], &used, sizeof used);
      _exit(0);
    }
    if (pid > 0) ++started;
  }
  close(p[1]);
  double total = 0, v = 0;
  int reported = 0;
  while (read(p[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    total += v;
    ++reported;
  }
  close(p[0]);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  double ratio = total / (now_ms() - w0);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d spinner processes (%d reported) used %.2f cores of %ld", started,
                reported, ratio, ncpu);
  std::string d = buf;
  if (!e.has("cpu-quota")) return info(d + " (no --cpu-quota to compare)");
  double quota = std::strtod(e.str("cpu-quota").c_str(), nullptr);
  std::snprintf(buf, sizeof buf, " (quota %.2f)", quota);
  d += buf;
  if (quota >= static_cast<double>(ncpu)) return info(d + ": quota not below the host's cores");
  if (ratio <= quota * 1.2 + 0.05) return pass(d);
  return fail(d + ": above the quota");
}

Outcome r09_output_flood(const Expect& e) {
  long total = e.num("flood-bytes").value_or(64 * kMiB);
  static char chunk[64 * 1024];
  std::memset(chunk, 'o', sizeof chunk);
  int fl = fcntl(STDERR_FILENO, F_GETFL);
  if (fl >= 0) (void)fcntl(STDERR_FILENO, F_SETFL, fl | O_NONBLOCK);
  long sent = 0;
  double end = now_ms() + 3000;
  int err = 0;
  while (sent < total && now_ms() < end) {
    ssize_t n = write(STDERR_FILENO, chunk, sizeof chunk);
    if (n > 0) {
      sent += n;
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      timespec ts{0, 1000000};
      nanosleep(&ts, nullptr);
      continue;
    }
    err = n < 0 ? errno : 0;
    break;
  }
  if (fl >= 0) (void)fcntl(STDERR_FILENO, F_SETFL, fl);
  return info("harness-observed; wrote " + std::to_string(sent / kMiB) + " MiB to stderr" +
              (err ? " then " + errname(err) : ""), err);
}

Outcome r10_zombie_storm(const Expect& e) {
  long cap = cap_from(e, "pids-max", 512, 2, 32, 1024);
  long n = 0;
  int err = 0;
  for (; n < cap; ++n) {
    pid_t p = fork();
    if (p < 0) {
      err = errno;
      break;
    }
    if (p == 0) _exit(0);  // never reaped by us: a zombie
  }
  std::string d = std::to_string(n) + " zombies";
  if (err == 0) return fail(d + ": zombies do not count against any limit (cap " + std::to_string(cap) + ")");
  std::string over = within(e, "pids-max", n);
  if (!over.empty()) return fail(d + ", then " + errname(err) + over, err);
  return pass(d + ", then " + errname(err) + " (zombies count)", err);
}

Outcome r11_orphan_survival(const Expect& e) {
  if (!e.has("token")) return info("harness-observed; no --token given, nothing planted");
  pid_t p = spawn_detached_sleeper(e, "-R11", false);
  return info("harness-observed; planted detached sleeper (pid " + std::to_string(p) + ") token=" + e.str("token") + "-R11");
}

Outcome r12_kernel_quotas(const Expect&) {
  long n = 0;
  int err = 0;
  for (; n < 1024; ++n) {
    if (inotify_init1(IN_CLOEXEC) < 0) {
      err = errno;
      break;
    }
  }
  timespec ts{1, 500 * 1000 * 1000};  // hold them while the harness checks its own quota
  nanosleep(&ts, nullptr);
  return info("harness-observed; held " + std::to_string(n) + " inotify instances" +
              (err ? " (then " + errname(err) + ")" : ""), err);
}

Outcome r13_nested_netns(const Expect&) {
  std::string d;
  bool made = false;
  for (auto [flags, name] : {std::pair{CLONE_NEWNET, "NEWNET"}, std::pair{CLONE_NEWUSER | CLONE_NEWNET, "NEWUSER|NEWNET"}}) {
    int f = flags;
    Attempt a = attempt([f] { return static_cast<long>(unshare(f)); });
    d += std::string(" unshare(") + name + "):" + a.describe() + ";";
    if (a.ok()) made = true;
  }
  if (made) return fail("new network namespace created:" + d);
  return pass(trim(d), EPERM);
}

Outcome r14_slow_consumer(const Expect&) {
  // Never read stdin (the harness offers more than a pipe holds) and idle for a second.
  timespec ts{1, 0};
  nanosleep(&ts, nullptr);
  return info("harness-observed; stdin left unread for 1 s");
}

}  // namespace

pid_t spawn_detached_sleeper(const Expect& e, const std::string& suffix, bool stopped) {
  std::string token = e.str("token") + suffix;
  std::string secs = e.str("sleeper-seconds", "20");
  std::string self = self_path(e);
  std::string marker_dir = e.str("workdir", "/tmp");
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t mid = fork();
  if (mid == 0) {
    close(p[0]);
    setsid();  // its own session: a process-group kill of the probe does not reach it
    int ex[2];
    if (pipe2(ex, O_CLOEXEC) != 0) _exit(1);
    pid_t s = fork();
    if (s == 0) {
      close(ex[0]);
      execl(self.c_str(), "kavach-probe", "sleeper", token.c_str(), secs.c_str(), marker_dir.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(ex[1]);
    char c;
    (void)!read(ex[0], &c, 1);  // EOF once the exec happened (CLOEXEC): token now in cmdline
    close(ex[0]);
    // The marker file is the harness's only view of a sleeper that is no host process: wait
    // (bounded) until it exists before stopping the sleeper.
    std::string marker = marker_dir + "/.sleeper-" + token;
    for (int i = 0; i < 200 && s > 0 && access(marker.c_str(), F_OK) != 0; ++i) usleep(5000);
    if (s > 0 && stopped) kill(s, SIGSTOP);
    (void)!write(p[1], &s, sizeof s);
    _exit(0);
  }
  close(p[1]);
  pid_t s = -1;
  (void)!read(p[0], &s, sizeof s);
  close(p[0]);
  waitpid(mid, nullptr, 0);
  return s;
}

namespace {

// R15: Linux AIO contexts are charged to one host-wide pool (fs.aio-max-nr, 65536 by default):
// a sandbox that may call io_setup can leave the host's own io_setup failing with EAGAIN.
Outcome r15_aio_contexts(const Expect&) {
  Attempt a = attempt([] {
    unsigned long ctx = 0;
    const long r = syscall(SYS_io_setup, 128, &ctx);
    if (r == 0) (void)syscall(SYS_io_destroy, ctx);
    return r;
  });
  if (a.ok()) return fail("io_setup(128) succeeded: the sandbox can charge the host-wide fs.aio-max-nr");
  return pass("io_setup refused: " + a.describe(), a.err);
}

}  // namespace

void add_group_r(std::vector<Probe>& out) {
  out.push_back({"R01", "fork-bomb", r01_fork_bomb, 10000});
  out.push_back({"R02", "thread-bomb", r02_thread_bomb, 10000});
  out.push_back({"R03", "memory-balloon", r03_memory_balloon, 10000});
  out.push_back({"R04", "tmpfs-fill", r04_tmpfs_fill, 10000});
  out.push_back({"R05", "disk-fill", r05_disk_fill, 10000});
  out.push_back({"R06", "inode-exhaustion", r06_inode_exhaustion, 10000});
  out.push_back({"R07", "fd-exhaustion", r07_fd_exhaustion, 10000});
  out.push_back({"R08", "cpu-spin", r08_cpu_spin, 10000});
  out.push_back({"R09", "output-flood", r09_output_flood, 6000});
  out.push_back({"R10", "zombie-storm", r10_zombie_storm, 10000});
  out.push_back({"R11", "orphan-survival", r11_orphan_survival});
  out.push_back({"R12", "kernel-quotas", r12_kernel_quotas});
  out.push_back({"R13", "nested-netns", r13_nested_netns});
  out.push_back({"R14", "slow-consumer", r14_slow_consumer});
  out.push_back({"R15", "aio-contexts", r15_aio_contexts});
}

}  // namespace probe
