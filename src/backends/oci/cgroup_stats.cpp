#include "backends/oci/cgroup_stats.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "backends/common/cgroup.hpp"

namespace kavach::oci {
namespace {

std::string join(const std::string& a, const std::string& b) {
  if (b.empty() || b == "/") return a;
  if (!a.empty() && a.back() == '/') return a + (b.front() == '/' ? b.substr(1) : b);
  return a + (b.front() == '/' ? b : "/" + b);
}

// The container's directory in the hierarchy that holds `controller` (v1) or in the v2 tree.
std::string dir_for(const CgroupInfo& host, const std::string& controller, bool v2, const std::string& relative) {
  if (v2) {
    if (host.v2_mount.empty()) return {};
    const auto own = host.own_paths.find("v2");
    return join(join(host.v2_mount, own == host.own_paths.end() ? "/" : own->second), relative);
  }
  const auto mount = host.v1_mounts.find(controller);
  if (mount == host.v1_mounts.end()) return {};
  const auto own = host.own_paths.find(controller);
  return join(join(mount->second, own == host.own_paths.end() ? "/" : own->second), relative);
}

std::optional<std::uint64_t> read_number(const std::string& path) {
  auto text = common::read_cgroup_file(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string word;
  if (!(in >> word) || word == "max") return std::nullopt;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(word.c_str(), &end, 10);
  if (end == word.c_str()) return std::nullopt;
  return v;
}

bool exists(const std::string& dir) { return !dir.empty() && ::access(dir.c_str(), F_OK) == 0; }

}  // namespace

ContainerCgroupStats read_container_cgroup(const CgroupInfo& host, const std::string& relative) {
  ContainerCgroupStats s;
  auto is_v2 = [&](const char* c) {
    const auto it = host.limit_controllers.find(c);
    return it != host.limit_controllers.end() ? it->second == "v2" : host.layout == CgroupLayout::v2;
  };

  const bool mem_v2 = is_v2("memory");
  if (const std::string d = dir_for(host, "memory", mem_v2, relative); exists(d)) {
    s.memory_dir = d;
    if (mem_v2) {
      s.oom_kills = common::read_keyed_value(d + "/memory.events", "oom_kill").value_or(0);
      s.memory_peak_bytes = read_number(d + "/memory.peak");
      s.memory_limit = read_number(d + "/memory.max");
    } else {
      s.oom_kills = common::read_keyed_value(d + "/memory.oom_control", "oom_kill").value_or(0);
      s.memory_peak_bytes = read_number(d + "/memory.max_usage_in_bytes");
      s.memory_limit = read_number(d + "/memory.limit_in_bytes");
      // v1 reports "no limit" as a huge page-rounded number.
      if (s.memory_limit && *s.memory_limit >= (1ull << 62)) s.memory_limit.reset();
    }
  }

  const bool pids_v2 = is_v2("pids");
  if (const std::string d = dir_for(host, "pids", pids_v2, relative); exists(d)) {
    s.pids_dir = d;
    s.pids_max_events = common::read_keyed_value(d + "/pids.events", "max").value_or(0);
    s.pids_peak = read_number(d + "/pids.peak");
    s.pids_limit = read_number(d + "/pids.max");
  }

  if (is_v2("cpu")) {
    if (const std::string d = dir_for(host, "cpu", true, relative); exists(d)) {
      if (auto u = common::read_keyed_value(d + "/cpu.stat", "user_usec")) s.cpu_user_ms = static_cast<double>(*u) / 1000.0;
      if (auto u = common::read_keyed_value(d + "/cpu.stat", "system_usec")) s.cpu_sys_ms = static_cast<double>(*u) / 1000.0;
      if (auto text = common::read_cgroup_file(d + "/cpu.max")) {
        std::istringstream in(*text);
        std::string quota;
        if (in >> quota && quota != "max") s.cpu_quota_us = std::strtoll(quota.c_str(), nullptr, 10);
      }
    }
  } else {
    if (const std::string d = dir_for(host, "cpu", false, relative); exists(d)) {
      if (auto q = common::read_cgroup_file(d + "/cpu.cfs_quota_us")) {
        const long long v = std::strtoll(q->c_str(), nullptr, 10);
        if (v > 0) s.cpu_quota_us = v;
      }
    }
    // cpuacct.stat counts USER_HZ ticks.
    if (const std::string d = dir_for(host, "cpuacct", false, relative); exists(d)) {
      const double tick_ms = 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
      if (auto u = common::read_keyed_value(d + "/cpuacct.stat", "user")) s.cpu_user_ms = static_cast<double>(*u) * tick_ms;
      if (auto u = common::read_keyed_value(d + "/cpuacct.stat", "system")) s.cpu_sys_ms = static_cast<double>(*u) * tick_ms;
    }
  }
  return s;
}

std::optional<std::uint64_t> container_cpu_usage_usec(const CgroupInfo& host, const std::string& relative) {
  if (const std::string d = dir_for(host, "cpuacct", false, relative); exists(d)) {
    if (auto ns = read_number(d + "/cpuacct.usage")) return *ns / 1000;
  }
  if (const std::string d = dir_for(host, "cpu", true, relative); exists(d)) {
    return common::read_keyed_value(d + "/cpu.stat", "usage_usec");
  }
  return std::nullopt;
}

}  // namespace kavach::oci
