#include "host/runtime_probe.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace kavach::host {

const std::vector<std::string>& known_runtimes() {
  static const std::vector<std::string> names = {"crun",   "runc",   "runsc",  "firecracker",
                                                 "qemu-system-x86_64", "podman", "docker",
                                                 "wasmtime", "bwrap", "umoci"};
  return names;
}

std::string which(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  path += ":/usr/local/sbin:/usr/sbin:/sbin";
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::map<std::string, std::string> find_runtimes() {
  std::map<std::string, std::string> out;
  for (const auto& name : known_runtimes()) {
    std::string p = which(name);
    if (!p.empty()) out.emplace(name, p);
  }
  return out;
}

}  // namespace kavach::host
