#include "host/cgroup_probe.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace kavach::host {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CgroupInfo probe_cgroups(const std::string& mountinfo, const std::string& self_cgroup) {
  CgroupInfo info;
  {
    // /proc/self/cgroup: "hierarchy-id:controller,list:/path"; "0::/path" is the v2 tree.
    std::ifstream self(self_cgroup);
    std::string entry;
    while (std::getline(self, entry)) {
      auto first = entry.find(':');
      auto second = entry.find(':', first + 1);
      if (first == std::string::npos || second == std::string::npos) continue;
      const std::string controllers = entry.substr(first + 1, second - first - 1);
      const std::string path = entry.substr(second + 1);
      if (controllers.empty()) {
        info.own_paths["v2"] = path;
      } else {
        for (const auto& c : split(controllers, ',')) info.own_paths[c] = path;
      }
    }
  }
  std::ifstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // mountinfo: id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto left = split(line.substr(0, dash), ' ');
    auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3) continue;
    const std::string& mountpoint = left[4];
    const std::string& fstype = right[0];
    if (fstype == "cgroup2") {
      if (info.v2_mount.empty()) info.v2_mount = mountpoint;
    } else if (fstype == "cgroup") {
      for (const auto& opt : split(right[2], ',')) {
        if (opt == "memory" || opt == "pids" || opt == "cpu" || opt == "cpuacct" ||
            opt == "freezer" || opt == "cpuset" || opt == "devices") {
          info.v1_mounts.emplace(opt, mountpoint);
        }
      }
    }
  }
  if (!info.v2_mount.empty()) {
    for (const auto& c : split(read_file(info.v2_mount + "/cgroup.controllers"), ' ')) {
      std::string name = c;
      while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
      if (!name.empty()) info.v2_controllers.insert(name);
    }
    // cgroup.kill (5.14) and CLONE_INTO_CGROUP (5.7) depend on the kernel version; probe_host
    // sets them. Here: only whether we may create child cgroups in the v2 tree at all.
    info.clone_into_cgroup = access(info.v2_mount.c_str(), W_OK) == 0;
  }
  const bool has_v1 = !info.v1_mounts.empty();
  const bool has_v2 = !info.v2_mount.empty();
  if (has_v2 && !has_v1) {
    info.layout = CgroupLayout::v2;
  } else if (has_v2 && has_v1) {
    info.layout = CgroupLayout::hybrid;
  } else if (has_v1) {
    info.layout = CgroupLayout::v1;
  }
  // Where each limit controller lives: v2 when enabled there, else a v1 hierarchy.
  for (const char* ctrl : {"memory", "pids", "cpu"}) {
    if (info.v2_controllers.count(ctrl) != 0) {
      info.limit_controllers[ctrl] = "v2";
    } else if (info.v1_mounts.count(ctrl) != 0) {
      info.limit_controllers[ctrl] = "v1";
    }
  }
  return info;
}

}  // namespace kavach::host
