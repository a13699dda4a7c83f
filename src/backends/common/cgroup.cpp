#include "backends/common/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

namespace kavach::common {
namespace {

constexpr const char* kParentDir = "kavach";
constexpr std::uint64_t kCpuPeriodUs = 100'000;

std::string errno_text(int e) { return std::strerror(e); }

// Writes `value` to a cgroup control file. Returns 0 or errno.
int write_file(const std::string& path, const std::string& value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int e = n < 0 ? errno : 0;
  ::close(fd);
  return e;
}

// mkdir that accepts an existing directory. Returns 0 or errno.
int make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return 0;
  return errno;
}

std::string join(const std::string& mount, const std::string& own) {
  if (own.empty() || own == "/") return mount;
  return mount + own;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Enables `controllers` for the children of `dir` (v2 subtree_control). Returns 0 or errno.
int enable_subtree(const std::string& dir, const std::set<std::string>& controllers) {
  for (const auto& c : controllers) {
    if (const int e = write_file(dir + "/cgroup.subtree_control", "+" + c); e != 0) return e;
  }
  return 0;
}

struct Placement {
  std::string dir;
  std::string error;  // empty on success
};

// The run's v2 directory: below our own cgroup when it may have children with controllers,
// else (root only) below the v2 root, which is exempt from the no-internal-processes rule.
Placement make_v2_dir(const CgroupInfo& host, const std::string& name,
                      const std::set<std::string>& controllers) {
  std::vector<std::string> bases;
  const auto own = host.own_paths.find("v2");
  bases.push_back(join(host.v2_mount, own == host.own_paths.end() ? "/" : own->second));
  if (bases.front() != host.v2_mount) bases.push_back(host.v2_mount);
  std::string last_error;
  for (const auto& base : bases) {
    if (!controllers.empty()) {
      if (const int e = enable_subtree(base, controllers); e != 0) {
        last_error = "enabling controllers in " + base + "/cgroup.subtree_control: " + errno_text(e);
        continue;
      }
    }
    const std::string parent = base + "/" + kParentDir;
    if (const int e = make_dir(parent); e != 0) {
      last_error = "mkdir " + parent + ": " + errno_text(e);
      continue;
    }
    if (!controllers.empty()) {
      if (const int e = enable_subtree(parent, controllers); e != 0) {
        last_error = "enabling controllers in " + parent + "/cgroup.subtree_control: " + errno_text(e);
        continue;
      }
    }
    const std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      last_error = "mkdir " + dir + ": " + errno_text(errno);
      continue;
    }
    return {dir, {}};
  }
  return {{}, last_error};
}

Placement make_v1_dir(const CgroupInfo& host, const std::string& controller, const std::string& name) {
  const auto mount = host.v1_mounts.find(controller);
  if (mount == host.v1_mounts.end()) return {{}, "no v1 hierarchy for " + controller};
  const auto own = host.own_paths.find(controller);
  const std::string base = join(mount->second, own == host.own_paths.end() ? "/" : own->second);
  const std::string parent = base + "/" + kParentDir;
  if (const int e = make_dir(parent); e != 0) return {{}, "mkdir " + parent + ": " + errno_text(e)};
  const std::string dir = parent + "/" + name;
  // Exclusive: an existing directory would be another run's cgroup.
  if (::mkdir(dir.c_str(), 0755) != 0) return {{}, "mkdir " + dir + ": " + errno_text(errno)};
  return {dir, {}};
}

}  // namespace

std::string write_cgroup_limit(const std::string& controller, bool v2, const std::string& dir,
                               const CgroupLimits& l) {
  auto put = [&](const char* file, const std::string& value) -> std::string {
    const int e = write_file(dir + "/" + file, value);
    return e == 0 ? std::string() : "writing " + value + " to " + dir + "/" + file + ": " + errno_text(e);
  };
  if (controller == "memory") {
    const std::uint64_t mem = *l.memory_bytes;
    // A requested swap limit is part of the memory control: without the swap file (no swap
    // accounting in this kernel) the control as asked cannot be applied, and says so.
    auto no_swap_file = [&](const char* file) {
      return "the policy limits swap, but " + dir + "/" + file +
             " does not exist (the kernel has no swap accounting for this cgroup)";
    };
    if (v2) {
      if (auto e = put("memory.max", std::to_string(mem)); !e.empty()) return e;
      if (l.swap_bytes) {
        if (::access((dir + "/memory.swap.max").c_str(), F_OK) != 0) return no_swap_file("memory.swap.max");
        if (auto e = put("memory.swap.max", std::to_string(*l.swap_bytes)); !e.empty()) return e;
      }
      return {};
    }
    if (auto e = put("memory.limit_in_bytes", std::to_string(mem)); !e.empty()) return e;
    if (l.swap_bytes) {
      if (::access((dir + "/memory.memsw.limit_in_bytes").c_str(), F_OK) != 0) {
        return no_swap_file("memory.memsw.limit_in_bytes");
      }
      if (auto e = put("memory.memsw.limit_in_bytes", std::to_string(mem + *l.swap_bytes)); !e.empty()) {
        return e;
      }
    }
    return {};
  }
  if (controller == "cpu") {
    auto quota = static_cast<std::uint64_t>(*l.cpu_cores * static_cast<double>(kCpuPeriodUs));
    if (quota < 1000) quota = 1000;  // the kernel's minimum quota is 1 ms
    if (v2) return put("cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUs));
    if (auto e = put("cpu.cfs_period_us", std::to_string(kCpuPeriodUs)); !e.empty()) return e;
    return put("cpu.cfs_quota_us", std::to_string(quota));
  }
  if (controller == "pids") return put("pids.max", std::to_string(*l.pids));
  return "unknown controller " + controller;
}

namespace {

void kill_listed(const std::string& dir) {
  auto procs = read_cgroup_file(dir + "/cgroup.procs");
  if (!procs) return;
  std::istringstream in(*procs);
  long pid = 0;
  while (in >> pid) {
    if (pid > 0) ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
}

}  // namespace

std::optional<std::string> read_cgroup_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::optional<std::uint64_t> read_keyed_value(const std::string& path, const std::string& key) {
  auto text = read_cgroup_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string k;
  std::uint64_t v = 0;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return std::nullopt;
}

namespace {

// A run cgroup whose launcher is dead. Its tasks may still be exiting (the launcher was just
// killed) or, worse, alive: they belong to no one, so they are killed, and the directory is
// removed once the kernel has let go of them (bounded: ~200 ms, then left for the next sweep).
void remove_orphan_cgroup(const std::string& dir) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    if (auto procs = read_cgroup_file(dir + "/cgroup.procs")) {
      std::istringstream in(*procs);
      long pid = 0;
      while (in >> pid) {
        if (pid > 0) (void)::kill(static_cast<pid_t>(pid), SIGKILL);
      }
    }
    ::usleep(10'000);
  }
}

}  // namespace

void remove_stale_run_cgroups(const CgroupInfo& host) {
  std::set<std::string> parents;
  auto own = [&](const std::string& key) {
    auto it = host.own_paths.find(key);
    return it == host.own_paths.end() ? std::string("/") : it->second;
  };
  if (!host.v2_mount.empty()) {
    parents.insert(join(host.v2_mount, own("v2")) + "/" + kParentDir);
    parents.insert(host.v2_mount + "/" + kParentDir);
  }
  for (const auto& [ctrl, mount] : host.v1_mounts) parents.insert(join(mount, own(ctrl)) + "/" + kParentDir);
  for (const auto& parent : parents) {
    DIR* d = ::opendir(parent.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d)) {
      long pid = 0;
      unsigned long n = 0;
      if (std::sscanf(e->d_name, "run-%ld-%lu", &pid, &n) != 2 || pid <= 0) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // its owner lives
      stale.push_back(parent + "/" + e->d_name);
    }
    ::closedir(d);
    for (const auto& dir : stale) remove_orphan_cgroup(dir);
  }
}

RunCgroup RunCgroup::create(const CgroupInfo& host, const CgroupSetup& setup) {
  RunCgroup cg;
  std::map<std::string, bool> wanted;  // controller -> requested
  if (setup.limits.memory_bytes) wanted["memory"] = true;
  if (setup.limits.cpu_cores) wanted["cpu"] = true;
  if (setup.limits.pids) wanted["pids"] = true;

  std::set<std::string> v2_controllers;
  std::vector<std::string> v1_controllers;
  for (const auto& [ctrl, _] : wanted) {
    const auto where = host.limit_controllers.find(ctrl);
    if (where == host.limit_controllers.end()) {
      cg.failures_[ctrl] = "the host has no usable " + ctrl + " controller (cgroup layout " +
                           std::string(to_string(host.layout)) + ")";
    } else if (where->second == "v2") {
      v2_controllers.insert(ctrl);
    } else {
      v1_controllers.push_back(ctrl);
    }
  }

  if ((setup.want_v2_dir || !v2_controllers.empty()) && !host.v2_mount.empty()) {
    Placement p = make_v2_dir(host, setup.name, v2_controllers);
    if (!p.error.empty()) {
      for (const auto& c : v2_controllers) cg.failures_[c] = p.error;
    } else {
      cg.v2_dir_ = p.dir;
      cg.v2_fd_.reset(::open(p.dir.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
      for (const auto& c : v2_controllers) {
        if (auto e = write_cgroup_limit(c, true, p.dir, setup.limits); !e.empty()) {
          cg.failures_[c] = e;
        } else {
          cg.dirs_by_controller_[c] = p.dir;
          cg.version_by_controller_[c] = "v2";
        }
      }
    }
  } else {
    for (const auto& c : v2_controllers) cg.failures_[c] = "no cgroup v2 mount";
  }

  // CPU accounting: the v2 directory when there is one (cpu.stat is a core file there), else a
  // directory in the v1 cpuacct hierarchy, placed like the v1 limit controllers below.
  bool v1_cpuacct = false;
  if (setup.cpu_accounting) {
    if (!cg.v2_dir_.empty() && ::access((cg.v2_dir_ + "/cpu.stat").c_str(), R_OK) == 0 &&
        read_keyed_value(cg.v2_dir_ + "/cpu.stat", "usage_usec")) {
      cg.cpu_file_ = cg.v2_dir_ + "/cpu.stat";
      cg.cpu_file_v2_ = true;
    } else if (host.v1_mounts.count("cpuacct") != 0) {
      v1_cpuacct = true;
    } else {
      cg.failures_["cpuacct"] =
          "no tree-wide CPU accounting: " +
          std::string(cg.v2_dir_.empty() ? "no run cgroup in a v2 tree" : "no usage_usec in " + cg.v2_dir_ + "/cpu.stat") +
          " and no v1 cpuacct hierarchy (cgroup layout " + std::string(to_string(host.layout)) + ")";
    }
  }

  std::map<std::string, std::string> dir_by_mount;  // v1 hierarchies may hold several controllers
  if (v1_cpuacct) v1_controllers.push_back("cpuacct");
  for (const auto& c : v1_controllers) {
    const std::string mount = host.v1_mounts.count(c) != 0 ? host.v1_mounts.at(c) : std::string();
    std::string dir;
    if (auto it = dir_by_mount.find(mount); it != dir_by_mount.end()) {
      dir = it->second;
    } else {
      Placement p = make_v1_dir(host, c, setup.name);
      if (!p.error.empty()) {
        cg.failures_[c] = p.error;
        continue;
      }
      dir = p.dir;
      dir_by_mount[mount] = dir;
      cg.v1_dirs_.push_back(dir);
    }
    if (c == "cpuacct") {
      if (::access((dir + "/cpuacct.usage").c_str(), R_OK) != 0) {
        cg.failures_[c] = "no " + dir + "/cpuacct.usage: " + errno_text(errno);
      } else {
        cg.cpu_file_ = dir + "/cpuacct.usage";
      }
      continue;
    }
    if (auto e = write_cgroup_limit(c, false, dir, setup.limits); !e.empty()) {
      cg.failures_[c] = e;
    } else {
      cg.dirs_by_controller_[c] = dir;
      cg.version_by_controller_[c] = "v1";
    }
  }
  return cg;
}

RunCgroup& RunCgroup::operator=(RunCgroup&& o) noexcept {
  if (this != &o) {
    destroy();
    v2_dir_ = std::move(o.v2_dir_);
    v1_dirs_ = std::move(o.v1_dirs_);
    dirs_by_controller_ = std::move(o.dirs_by_controller_);
    version_by_controller_ = std::move(o.version_by_controller_);
    failures_ = std::move(o.failures_);
    cpu_file_ = std::move(o.cpu_file_);
    cpu_file_v2_ = o.cpu_file_v2_;
    v2_fd_ = std::move(o.v2_fd_);
    o.v2_dir_.clear();
    o.v1_dirs_.clear();
  }
  return *this;
}

RunCgroup::~RunCgroup() { destroy(); }

std::string RunCgroup::where(const std::string& controller) const {
  auto d = dirs_by_controller_.find(controller);
  if (d == dirs_by_controller_.end()) return {};
  return version_by_controller_.at(controller) + " " + d->second;
}

Result<std::vector<UniqueFd>> RunCgroup::v1_join_files() const {
  std::vector<UniqueFd> out;
  for (const auto& d : v1_dirs_) {
    UniqueFd fd(::open((d + "/tasks").c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      return fail(ErrorCode::setup_failed, "cannot open " + d + "/tasks: " + errno_text(errno),
                  {{"stage", "cgroup"}});
    }
    out.push_back(std::move(fd));
  }
  return out;
}

Result<void> RunCgroup::add_pid(pid_t pid, bool include_v2, bool include_v1) const {
  const std::string text = std::to_string(pid);
  std::vector<std::string> dirs;
  if (include_v1) dirs = v1_dirs_;
  if (include_v2 && !v2_dir_.empty()) dirs.push_back(v2_dir_);
  for (const auto& d : dirs) {
    if (const int e = write_file(d + "/cgroup.procs", text); e != 0) {
      return fail(ErrorCode::setup_failed,
                  "cannot move the sandbox into " + d + ": " + errno_text(e), {{"stage", "cgroup"}});
    }
  }
  return {};
}

void RunCgroup::kill_all(bool use_cgroup_kill) const noexcept {
  if (!v2_dir_.empty()) {
    if (!use_cgroup_kill || write_file(v2_dir_ + "/cgroup.kill", "1") != 0) kill_listed(v2_dir_);
  }
  for (const auto& d : v1_dirs_) kill_listed(d);
}

CgroupReadback RunCgroup::read_back() const {
  CgroupReadback r;
  if (auto d = dirs_by_controller_.find("memory"); d != dirs_by_controller_.end()) {
    if (version_by_controller_.at("memory") == "v2") {
      r.oom_kills = read_keyed_value(d->second + "/memory.events", "oom_kill").value_or(0);
      if (auto p = read_cgroup_file(d->second + "/memory.peak")) r.memory_peak_bytes = std::stoull(trim(*p));
    } else {
      r.oom_kills = read_keyed_value(d->second + "/memory.oom_control", "oom_kill").value_or(0);
      if (auto p = read_cgroup_file(d->second + "/memory.max_usage_in_bytes")) {
        r.memory_peak_bytes = std::stoull(trim(*p));
      }
    }
  }
  if (auto d = dirs_by_controller_.find("pids"); d != dirs_by_controller_.end()) {
    r.pids_max_events = read_keyed_value(d->second + "/pids.events", "max").value_or(0);
    if (auto p = read_cgroup_file(d->second + "/pids.peak"); p && !trim(*p).empty()) {
      r.pids_peak = std::stoull(trim(*p));
    }
  }
  return r;
}

std::optional<std::uint64_t> RunCgroup::cpu_usage_usec() const {
  if (cpu_file_.empty()) return std::nullopt;
  if (cpu_file_v2_) return read_keyed_value(cpu_file_, "usage_usec");
  auto text = read_cgroup_file(cpu_file_);  // cpuacct.usage: nanoseconds
  if (!text) return std::nullopt;
  const std::string v = trim(*text);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(v) / 1000;
}

void RunCgroup::destroy() noexcept {
  v2_fd_.reset();
  std::vector<std::string> dirs = v1_dirs_;
  if (!v2_dir_.empty()) dirs.push_back(v2_dir_);
  // A killed tree leaves its cgroups within milliseconds; rmdir says EBUSY until then.
  for (const auto& d : dirs) {
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      if (attempt % 20 == 19) kill_listed(d);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  v1_dirs_.clear();
  v2_dir_.clear();
  dirs_by_controller_.clear();
  cpu_file_.clear();
}

}  // namespace kavach::common
