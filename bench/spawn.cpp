// bench/spawn: start-to-reap latency of one short command through kavach and its peers, measured
// in ONE run with the methods interleaved round-robin, so every ratio compares numbers taken
// under the same machine load. Then the per-stage set-up timings of `strict` and the throughput
// of `strict` with N concurrent callers on one backend object.
//
//   bench/spawn [--iterations N] [--throughput-seconds S] [--json]
//
// A plain program (not a timed unit test): `make bench` runs it via scripts/run-bench.
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "backends/process/process_backend_impl.hpp"
#include "backends/process/warm_pool.hpp"
#include "kavach/backend.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"
#include "kavach/session.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int iterations = 100;
  double throughput_seconds = 3.0;
  bool json = false;
  std::string only;  // --only TEXT: just posix_spawn and methods whose name contains TEXT
};

// One way of running a command. `run` returns the latency in ms or an error text.
struct Method {
  std::string name;
  std::string command;  // "true" or "echo"
  std::function<std::optional<std::string>(double& ms)> run;
  std::vector<double> samples;
  std::vector<std::string> errors;
  std::map<std::string, std::vector<double>> stages;  // kavach methods only
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest-rank: the smallest value with at least p of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

double elapsed_ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// posix_spawn + waitpid, stdout/stderr to /dev/null: the bare baseline.
std::optional<std::string> spawn_and_reap(const std::vector<std::string>& argv, double& ms) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  auto t0 = Clock::now();
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return std::string("posix_spawn: ") + std::strerror(rc);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::string("waitpid: ") + std::strerror(errno);
  }
  ms = elapsed_ms(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "exit status " + std::to_string(status);
  return std::nullopt;
}

// Floors: what the kernel charges for kavach strict's seven namespaces (user, pid, mount, net,
// ipc, uts, cgroup), with nothing else — no mounts, filters, cgroups or id maps. Both clone with
// CLONE_VM (like posix_spawn's vfork) so neither pays for copying this process's page tables.
constexpr int kSevenNamespaces = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET |
                                 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

struct FloorChild {
  char* const* argv = nullptr;
  int devnull = -1;
  int go = -1;  // warm: PID 1 waits for a byte here
};

// ASYNC-SIGNAL-SAFE (runs on its own stack in the caller's memory): redirect and exec.
int floor_exec(void* arg) {
  const auto* c = static_cast<const FloorChild*>(arg);
  ::dup2(c->devnull, 1);
  ::dup2(c->devnull, 2);
  ::execve(c->argv[0], c->argv, environ);
  ::_exit(127);
}

// ASYNC-SIGNAL-SAFE: the warm floor's PID 1: wait for the hand-over, vfork+exec the command,
// reap it, leave with its status (the namespaces go with PID 1).
int floor_pid1(void* arg) {
  auto* c = static_cast<FloorChild*>(arg);
  char b = 0;
  if (::read(c->go, &b, 1) != 1) ::_exit(126);
  alignas(16) static thread_local char stack[64 * 1024];
  const int cmd = ::clone(floor_exec, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
  int st = 0;
  while (cmd > 0 && ::waitpid(cmd, &st, 0) < 0 && errno == EINTR) {
  }
  ::_exit(cmd > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : 125);
}

std::optional<std::string> reap_floor(pid_t pid, Clock::time_point t0, double& ms) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::string("waitpid: ") + std::strerror(errno);
  }
  ms = elapsed_ms(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "exit status " + std::to_string(status);
  return std::nullopt;
}

// Cold floor: clone into the seven namespaces, exec, reap.
std::optional<std::string> clone_namespaces_and_reap(const std::vector<std::string>& argv, double& ms) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  FloorChild c{args.data(), ::open("/dev/null", O_WRONLY | O_CLOEXEC), -1};
  if (c.devnull < 0) return std::string("open /dev/null: ") + std::strerror(errno);
  std::vector<char> stack(64 * 1024);
  auto t0 = Clock::now();
  const int pid = ::clone(floor_exec, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | kSevenNamespaces | SIGCHLD, &c);
  ::close(c.devnull);
  if (pid < 0) return std::string("clone: ") + std::strerror(errno);
  return reap_floor(pid, t0, ms);
}

// Warm floor: the namespaces and their PID 1 exist before the clock starts; timed: the hand-over,
// the command's vfork+exec+exit, and PID 1's exit until it is reaped.
std::optional<std::string> warm_namespaces_and_reap(const std::vector<std::string>& argv, double& ms) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  FloorChild c{args.data(), ::open("/dev/null", O_WRONLY | O_CLOEXEC), go[0]};
  std::vector<char> stack(64 * 1024);
  const int pid1 = ::clone(floor_pid1, stack.data() + stack.size(), CLONE_VM | kSevenNamespaces | SIGCHLD, &c);
  if (pid1 < 0) {
    ::close(go[0]);
    ::close(go[1]);
    ::close(c.devnull);
    return std::string("clone: ") + std::strerror(errno);
  }
  // PID 1 shares this memory (and `stack`, `c`): it runs until reaped below, so both outlive it.
  auto t0 = Clock::now();
  const bool sent = ::write(go[1], "x", 1) == 1;
  auto r = reap_floor(pid1, t0, ms);
  ::close(go[0]);
  ::close(go[1]);
  ::close(c.devnull);
  if (!sent) return std::string("hand-over failed");
  return r;
}

// bubblewrap doing roughly what `minimal`/`strict` set up (without filters, cgroups, rlimits):
// every namespace, read-only system dirs as this host lays them out, fresh /proc, /dev, /tmp.
std::vector<std::string> bwrap_prefix() {
  std::vector<std::string> a = {"/usr/bin/bwrap", "--unshare-all", "--die-with-parent",
                                "--ro-bind",      "/usr",          "/usr",
                                "--ro-bind",      "/etc",          "/etc"};
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    auto st = std::filesystem::symlink_status(top, ec);
    if (ec || !std::filesystem::exists(st)) continue;
    if (std::filesystem::is_symlink(st)) {
      a.insert(a.end(), {"--symlink", std::filesystem::read_symlink(top, ec).string(), top});
    } else {
      a.insert(a.end(), {"--ro-bind", top, top});
    }
  }
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--"});
  return a;
}

std::vector<std::string> command_argv(const std::string& which) {
  if (which == "true") return {"/bin/true"};
  return {"/bin/sh", "-c", "echo x"};
}

// One kavach exec; checks the command really ran (exit 0, and "x\n" for echo).
using ExecFn = std::function<kavach::Result<kavach::ExecResult>(const kavach::Command&)>;
std::optional<std::string> kavach_exec(const ExecFn& exec, const std::string& which, double& ms,
                                       std::map<std::string, std::vector<double>>* stages,
                                       const char* want_start = nullptr) {
  kavach::Command cmd;
  cmd.argv = command_argv(which);
  auto t0 = Clock::now();
  auto r = exec(cmd);
  ms = elapsed_ms(t0);
  if (!r) return r.error().message;
  if (!r->exit_code || *r->exit_code != 0) {
    return "command failed: exit " + (r->exit_code ? std::to_string(*r->exit_code) : "-") +
           (r->setup_failure ? " setup " + r->setup_failure->stage : "") + " " + r->stderr_data;
  }
  if (which == "echo" && r->stdout_data != "x\n") return "unexpected stdout: " + r->stdout_data;
  if (want_start != nullptr && r->backend_info["start"].rfind(want_start, 0) != 0) {
    return "expected a " + std::string(want_start) + " start, got " + r->backend_info["start"];
  }
  if (stages) {
    double sum = 0;
    for (const auto& t : r->timings) {
      (*stages)[t.stage].push_back(t.ms);
      sum += t.ms;
    }
    // Time exec() spent that no stage accounts for (before the first or after the last stamp).
    (*stages)["(outside stages)"].push_back(ms - sum);
    (*stages)["(duration_ms)"].push_back(r->duration_ms);
  }
  return std::nullopt;
}

std::optional<std::string> kavach_exec(kavach::Backend& b, const kavach::ValidPolicy& policy,
                                       const std::string& which, double& ms,
                                       std::map<std::string, std::vector<double>>* stages) {
  return kavach_exec([&](const kavach::Command& c) { return b.exec(policy, c); }, which, ms, stages);
}

// Memory an idle pooled sandbox holds: PSS of its PID 1 (smaps_rollup) and what its memory
// cgroup was charged (page tables, tmpfs/procfs/mount objects, pages PID 1 touched after the
// attach). Both in KiB; 0 when unreadable.
std::pair<std::uint64_t, std::uint64_t> idle_memory_kib(pid_t pid) {
  std::uint64_t pss = 0;
  std::uint64_t charged = 0;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/smaps_rollup").c_str(), "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      unsigned long long v = 0;
      if (std::sscanf(line, "Pss: %llu kB", &v) == 1) pss = v;
    }
    std::fclose(f);
  }
  if (FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/cgroup").c_str(), "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f)) {
      std::string l(line);
      for (const char* ctrl : {":memory:", "0::"}) {
        auto at = l.find(ctrl);
        if (at == std::string::npos || (ctrl[0] == '0' && at != 0)) continue;
        std::string path = l.substr(at + std::strlen(ctrl));
        while (!path.empty() && path.back() == '\n') path.pop_back();
        const std::string file = ctrl[0] == ':' ? "/sys/fs/cgroup/memory" + path + "/memory.usage_in_bytes"
                                                : "/sys/fs/cgroup" + path + "/memory.current";
        if (FILE* g = std::fopen(file.c_str(), "r")) {
          unsigned long long v = 0;
          if (std::fscanf(g, "%llu", &v) == 1 && charged == 0) charged = v / 1024;
          std::fclose(g);
        }
      }
    }
    std::fclose(f);
  }
  return {pss, charged};
}

struct Throughput {
  int callers = 0;
  long completed = 0;
  long failed = 0;
  double seconds = 0;
  double per_second = 0;
};

// N threads call exec in a loop on ONE backend object for `seconds`.
Throughput measure_throughput(kavach::Backend& b, const kavach::ValidPolicy& policy, int callers,
                              double seconds) {
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  auto t0 = Clock::now();
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        double ms = 0;
        if (kavach_exec(b, policy, "true", ms, nullptr)) {
          failed.fetch_add(1);
        } else {
          done.fetch_add(1);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (auto& t : threads) t.join();
  Throughput r;
  r.callers = callers;
  r.completed = done.load();
  r.failed = failed.load();
  r.seconds = elapsed_ms(t0) / 1000.0;  // includes the runs in flight when told to stop
  r.per_second = static_cast<double>(r.completed) / r.seconds;
  return r;
}

std::string load_average() {
  FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return "?";
  char buf[128] = {};
  if (!std::fgets(buf, sizeof buf, f)) buf[0] = 0;
  std::fclose(f);
  std::string s(buf);
  // First three fields only.
  std::size_t pos = 0;
  for (int i = 0; i < 3 && pos != std::string::npos; ++i) pos = s.find(' ', pos + 1);
  return s.substr(0, pos);
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--iterations N] [--throughput-seconds S] [--only TEXT] [--json]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json") {
      opt.json = true;
    } else if (a == "--iterations" && i + 1 < argc) {
      opt.iterations = std::atoi(argv[++i]);
      if (opt.iterations < 1) return usage(argv[0]);
    } else if (a == "--only" && i + 1 < argc) {
      opt.only = argv[++i];
    } else if (a == "--throughput-seconds" && i + 1 < argc) {
      opt.throughput_seconds = std::atof(argv[++i]);
      if (opt.throughput_seconds < 0) return usage(argv[0]);
    } else {
      return usage(argv[0]);
    }
  }
  std::FILE* out = opt.json ? stderr : stdout;  // --json: human text to stderr, JSON to stdout
  const std::string load_before = load_average();

  std::vector<std::string> skipped;
  auto process = kavach::create_backend(kavach::BackendKind::process);
  if (!process) {
    std::fprintf(stderr, "process backend: %s\n", process.error().message.c_str());
    return 1;
  }
  kavach::Backend& pb = **process;
  if (auto av = pb.availability(); !av.available) {
    std::fprintf(stderr, "process backend unavailable: %s\n", av.reason.c_str());
    return 1;
  }

  // The agent preset's writable work directory: a fresh temp dir, removed at the end.
  char tmpl[] = "/tmp/kavach-bench-XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::filesystem::path work = tmpl;

  std::map<std::string, kavach::ValidPolicy> policies;  // checked once, as a Sandbox does
  for (auto p : {kavach::Preset::minimal, kavach::Preset::basic, kavach::Preset::strict,
                 kavach::Preset::agent}) {
    auto pol = kavach::preset_policy(p);
    if (p == kavach::Preset::agent) {
      pol.fs.writable_paths.push_back(work);
      pol.fs.workdir = work;
    }
    auto valid = kavach::ValidPolicy::check(std::move(pol));
    if (!valid) {
      std::fprintf(stderr, "policy %s: %s\n", std::string(kavach::to_string(p)).c_str(), valid.error().message.c_str());
      return 1;
    }
    policies[std::string(kavach::to_string(p))] = std::move(*valid);
  }

  // Other backends that can run commands here (oci, gvisor), under `strict`.
  std::vector<std::pair<std::string, std::unique_ptr<kavach::Backend>>> others;
  for (auto k : {kavach::BackendKind::oci, kavach::BackendKind::gvisor}) {
    auto b = kavach::create_backend(k);
    std::string name(kavach::to_string(k));
    if (!b) {
      skipped.push_back(name + ": " + b.error().message);
    } else if ((*b)->maturity() != kavach::Maturity::runs_commands) {
      skipped.push_back(name + ": " + std::string(kavach::to_string((*b)->maturity())));
    } else if (auto av = (*b)->availability(); !av.available) {
      skipped.push_back(name + ": " + av.reason);
    } else {
      others.emplace_back(name, std::move(*b));
    }
  }
  // Warm start: a pool of pre-built single-use strict sandboxes (WarmPool). Before every timed
  // sample the bench waits, untimed, until the pool is full and the backends' helper threads are
  // idle, so no background refill or teardown runs inside another sample.
  constexpr std::size_t kPoolSize = 2;
  auto pool = kavach::process::WarmPool::create(kavach::probe_host_cached(),
                                                kavach::process::default_process_options(),
                                                policies["strict"], kPoolSize);
  if (!pool) skipped.push_back("kavach strict warm: " + pool.error().message);
  auto refill = [&pool] {
    if (pool && !(*pool)->wait_full(std::chrono::seconds(10))) {
      std::fprintf(stderr, "warm pool did not refill in 10 s: %s\n",
                   (*pool)->last_error().value_or("(no error recorded)").c_str());
    }
  };
  // The process backend tears spent sandboxes down and stocks cgroups on a helper thread.
  auto* process_impl = dynamic_cast<kavach::process::ProcessBackend*>(&pb);
  auto settle = [&refill, process_impl] {
    refill();
    if (process_impl != nullptr) (void)process_impl->wait_idle(std::chrono::seconds(10));
  };
  kavach::SandboxConfig session_config;
  session_config.policy = policies["strict"];
  auto session = kavach::Session::open(std::move(session_config));
  if (!session) skipped.push_back("kavach strict session: " + session.error().message);
  const bool have_bwrap = access("/usr/bin/bwrap", X_OK) == 0;
  if (!have_bwrap) skipped.push_back("bwrap: /usr/bin/bwrap not installed");
  const auto bwrap = bwrap_prefix();

  std::vector<Method> methods;
  methods.reserve(64);  // the run lambdas keep pointers into elements: no reallocation
  for (const std::string which : {"true", "echo"}) {
    methods.push_back({"posix_spawn", which, [which](double& ms) {
                         return spawn_and_reap(command_argv(which), ms);
                       }, {}, {}, {}});
    methods.push_back({"floor strict (7 ns+exec)", which, [which](double& ms) {
                         return clone_namespaces_and_reap(command_argv(which), ms);
                       }, {}, {}, {}});
    methods.push_back({"floor strict warm (ns ready)", which, [which](double& ms) {
                         return warm_namespaces_and_reap(command_argv(which), ms);
                       }, {}, {}, {}});
    for (const char* preset : {"minimal", "basic", "strict", "agent"}) {
      methods.push_back({std::string("kavach ") + preset, which, nullptr, {}, {}, {}});
      Method& m = methods.back();
      const kavach::ValidPolicy* pol = &policies[preset];
      auto* stages = &m.stages;
      m.run = [&pb, pol, which, stages](double& ms) {
        return kavach_exec(pb, *pol, which, ms, stages);
      };
    }
    if (pool) {
      methods.push_back({"kavach strict warm", which, nullptr, {}, {}, {}});
      Method& m = methods.back();
      kavach::process::WarmPool* wp = pool->get();
      auto* stages = &m.stages;
      m.run = [wp, which, stages](double& ms) {
        return kavach_exec([wp](const kavach::Command& c) { return wp->exec(c); }, which, ms, stages, "warm");
      };
    }
    // Sessions: an exec in an open strict session (the init forks it), and a whole session
    // (open, first exec, destroy: "session new") — what a new session + first exec costs without a pool.
    if (session) {
      methods.push_back({"kavach strict session exec", which, nullptr, {}, {}, {}});
      Method& m = methods.back();
      kavach::Session* sp = session->get();
      m.run = [sp, which](double& ms) {
        return kavach_exec([sp](const kavach::Command& c) -> kavach::Result<kavach::ExecResult> {
          auto r = sp->exec(c);
          if (!r) return tl::unexpected(r.error());
          return std::move(r->result);
        }, which, ms, nullptr, "session");
      };
    }
    methods.push_back({"kavach strict session new", which, nullptr, {}, {}, {}});
    methods.back().run = [&policies, which](double& ms) {
      return kavach_exec([&policies](const kavach::Command& c) -> kavach::Result<kavach::ExecResult> {
        kavach::SandboxConfig config;
        config.policy = policies["strict"];
        auto s = kavach::Session::open(std::move(config));
        if (!s) return tl::unexpected(s.error());
        auto r = (*s)->exec(c);
        (void)(*s)->destroy();
        if (!r) return tl::unexpected(r.error());
        return std::move(r->result);
      }, which, ms, nullptr, "session");
    };
    if (have_bwrap) {
      methods.push_back({"bwrap", which, [which, &bwrap](double& ms) {
                           auto a = bwrap;
                           for (auto& s : command_argv(which)) a.push_back(s);
                           return spawn_and_reap(a, ms);
                         }, {}, {}, {}});
    }
    for (auto& [name, b] : others) {
      kavach::Backend* bp = b.get();
      const kavach::ValidPolicy* pol = &policies["strict"];
      methods.push_back({"kavach " + name + " strict", which, [bp, pol, which](double& ms) {
                           return kavach_exec(*bp, *pol, which, ms, nullptr);
                         }, {}, {}, {}});
    }
  }
  // --only: disable the others (the run lambdas point into the elements: keep them in place).
  if (!opt.only.empty()) {
    for (auto& m : methods) {
      if (m.name != "posix_spawn" && m.name.find(opt.only) == std::string::npos) m.run = nullptr;
    }
  }
  for (const auto& s : skipped) std::fprintf(out, "skipped %s\n", s.c_str());

  // Warm-up round (not recorded): first-use costs such as the seccomp cache and page cache.
  for (auto& m : methods) {
    double ms = 0;
    if (!m.run) continue;
    if (auto err = m.run(ms)) std::fprintf(out, "warm-up %s %s: %s\n", m.name.c_str(),
                                           m.command.c_str(), err->c_str());
  }
  for (auto& m : methods) m.stages.clear();

  // Round-robin: every iteration runs every method once, starting at a rotating offset so no
  // method always follows the same neighbour.
  const auto bench_t0 = Clock::now();
  for (int it = 0; it < opt.iterations; ++it) {
    for (std::size_t j = 0; j < methods.size(); ++j) {
      Method& m = methods[(j + static_cast<std::size_t>(it)) % methods.size()];
      if (!m.run) continue;
      settle();  // untimed: no background work of an earlier sample runs inside this one
      double ms = 0;
      if (auto err = m.run(ms)) {
        m.errors.push_back(*err);
      } else {
        m.samples.push_back(ms);
      }
    }
  }
  const double latency_s = elapsed_ms(bench_t0) / 1000.0;
  const std::string load_after = load_average();

  nlohmann::json j;
  j["iterations"] = opt.iterations;
  j["load_average_before"] = load_before;
  j["load_average_after"] = load_after;
  j["skipped"] = skipped;
  std::fprintf(out,
               "\nbench/spawn: %d iterations, methods interleaved, %.1f s; load average before "
               "%s, after %s\n",
               opt.iterations, latency_s, load_before.c_str(), load_after.c_str());
  for (const std::string which : {"true", "echo"}) {
    double base = 0;
    for (auto& m : methods)
      if (m.command == which && m.name == "posix_spawn") base = percentile(m.samples, 0.5);
    std::fprintf(out, "\ncommand: %s\n", which == "true" ? "/bin/true" : "sh -c 'echo x'");
    std::fprintf(out, "%-26s %10s %10s %8s %6s\n", "method", "median ms", "p99 ms", "ratio",
                 "fails");
    for (auto& m : methods) {
      if (m.command != which || !m.run) continue;
      double med = percentile(m.samples, 0.5);
      double p99 = percentile(m.samples, 0.99);
      double ratio = base > 0 ? med / base : 0;
      std::fprintf(out, "%-26s %10.3f %10.3f %7.2fx %6zu\n", m.name.c_str(), med, p99, ratio,
                   m.errors.size());
      if (!m.errors.empty()) std::fprintf(out, "    first error: %s\n", m.errors[0].c_str());
      j["latency"][which][m.name] = {{"median_ms", med},
                                     {"p99_ms", p99},
                                     {"ratio_to_posix_spawn", ratio},
                                     {"samples", m.samples.size()},
                                     {"failures", m.errors.size()}};
    }
  }

  // Per-stage medians for strict, /bin/true, in the order the backend reports them.
  for (auto& m : methods) {
    if ((m.name != "kavach strict" && m.name != "kavach strict warm") || m.command != "true" || !m.run) continue;
    const bool warm = m.name == "kavach strict warm";
    std::fprintf(out, "\n%s /bin/true: median per stage (ExecResult.timings)\n", m.name.c_str());
    double sum = 0;
    double sum_mean = 0;  // on a loaded machine the tail of each stage matters: medians undercount
    // m.stages is sorted by name; report in pipeline order, taken from one more run.
    std::vector<std::string> pipeline;
    {
      kavach::Command cmd;
      cmd.argv = command_argv("true");
      if (warm) refill();
      auto r = warm ? (*pool)->exec(cmd) : pb.exec(policies["strict"], cmd);
      if (r)
        for (const auto& t : r->timings) pipeline.push_back(t.stage);
    }
    const std::string key = warm ? "strict_warm_stages_ms" : "strict_stages_ms";
    for (const auto& stage : pipeline) {
      auto it = m.stages.find(stage);
      if (it == m.stages.end()) continue;
      double med = percentile(it->second, 0.5);
      double mean = 0;
      for (double v : it->second) mean += v;
      mean /= static_cast<double>(it->second.size());
      sum += med;
      sum_mean += mean;
      std::fprintf(out, "  %-18s %8.3f ms  mean %8.3f ms\n", stage.c_str(), med, mean);
      j[key].push_back({{"stage", stage}, {"median_ms", med}, {"mean_ms", mean}});
    }
    std::fprintf(out, "  %-18s %8.3f ms  mean %8.3f ms (end-to-end median %.3f ms)\n", "sum",
                 sum, sum_mean, percentile(m.samples, 0.5));
    for (const char* extra : {"(outside stages)", "(duration_ms)"}) {
      double med = percentile(m.stages[extra], 0.5);
      std::fprintf(out, "  %-18s %8.3f ms\n", extra, med);
      j[key].push_back({{"stage", extra}, {"median_ms", med}});
    }
  }

  // Idle memory per pooled sandbox.
  if (pool) {
    refill();
    std::fprintf(out, "\nkavach strict warm: idle pooled sandboxes (pool of %zu)\n", kPoolSize);
    for (pid_t pid : (*pool)->idle_pids()) {
      auto [pss, charged] = idle_memory_kib(pid);
      std::fprintf(out, "  PID 1 host pid %d: PSS %llu KiB, memory cgroup charged %llu KiB\n",
                   static_cast<int>(pid), static_cast<unsigned long long>(pss),
                   static_cast<unsigned long long>(charged));
      j["warm_idle_memory_kib"].push_back({{"pss", pss}, {"cgroup_charged", charged}});
    }
  }

  // Throughput of strict with N concurrent callers on one backend object.
  bool strict_ok = false;
  for (auto& m : methods)
    if (m.name == "kavach strict" && m.command == "true") strict_ok = m.errors.empty();
  if (opt.throughput_seconds > 0 && !strict_ok) {
    std::fprintf(out, "\nthroughput skipped: kavach strict failed in the latency runs\n");
  } else if (opt.throughput_seconds > 0) {
    std::fprintf(out, "\nkavach strict /bin/true throughput (one backend object, %.1f s each)\n",
                 opt.throughput_seconds);
    std::fprintf(out, "%8s %10s %8s %14s  %s\n", "callers", "completed", "failed", "sandboxes/s",
                 "load average after");
    for (int n : {1, 2, 8}) {
      auto t = measure_throughput(pb, policies["strict"], n, opt.throughput_seconds);
      std::string la = load_average();
      std::fprintf(out, "%8d %10ld %8ld %14.1f  %s\n", n, t.completed, t.failed, t.per_second,
                   la.c_str());
      j["throughput"].push_back({{"callers", n},
                                 {"completed", t.completed},
                                 {"failed", t.failed},
                                 {"seconds", t.seconds},
                                 {"per_second", t.per_second},
                                 {"load_average_after", la}});
    }
  }

  std::error_code ec;
  std::filesystem::remove_all(work, ec);
  if (opt.json) std::printf("%s\n", j.dump(2).c_str());
  bool any_fail = false;
  for (auto& m : methods) any_fail = any_fail || !m.errors.empty();
  return any_fail ? 1 : 0;
}
