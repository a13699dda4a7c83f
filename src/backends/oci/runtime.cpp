#include "backends/oci/runtime.hpp"

#include <map>
#include <mutex>
#include <sstream>

#include "backends/oci/tool_process.hpp"

namespace kavach::oci {
namespace {

Error missing(const std::string& name, const std::string& why) {
  const std::string pkg = debian_package(name);
  return make_error(ErrorCode::runtime_missing,
                    why + ": '" + name + "' is not installed (install the Debian package: apt-get install " +
                        pkg + ")",
                    {{"runtime", name}, {"package", pkg}});
}

RuntimeFlavor flavor_of(const std::string& name) {
  if (name == "crun") return RuntimeFlavor::crun;
  if (name == "runsc") return RuntimeFlavor::runsc;
  return RuntimeFlavor::runc;
}

Result<RuntimeChoice> found(const HostInfo& host, const std::string& name, std::string note) {
  const auto it = host.runtimes.find(name);
  if (it == host.runtimes.end()) return tl::unexpected(missing(name, "OCI runtime needed"));
  RuntimeChoice c;
  c.flavor = flavor_of(name);
  c.name = name;
  c.path = it->second;
  c.version = runtime_version(c.path);
  c.note = std::move(note);
  return c;
}

}  // namespace

std::string debian_package(const std::string& runtime) {
  // Debian ships each under its own name (runsc: "runsc", gVisor's runtime).
  return runtime;
}

std::optional<std::string> crun_refusal(const HostInfo& host) {
  if (host.cgroups.layout != CgroupLayout::hybrid) return std::nullopt;
  if (host.cgroups.v2_controllers.empty()) return std::nullopt;
  std::string list;
  for (const auto& c : host.cgroups.v2_controllers) list += (list.empty() ? "" : ",") + c;
  return "crun refuses hybrid cgroup layouts whose unified hierarchy (" + host.cgroups.v2_mount +
         ") offers controllers (" + list +
         "): \"cgroups in hybrid mode not supported, drop all controllers from cgroupv2\"";
}

Result<RuntimeChoice> choose_runtime(BackendKind kind, const HostInfo& host, const OciPolicy& oci,
                                     const std::string& override_name) {
  const std::string asked = !override_name.empty() ? override_name : oci.runtime;
  if (kind == BackendKind::gvisor) {
    if (!asked.empty() && asked != "runsc") {
      return fail(ErrorCode::invalid_argument,
                  "the gvisor backend runs runsc; runtime '" + asked + "' belongs to the oci backend",
                  {{"runtime", asked}});
    }
    if (host.runtimes.count("runsc") == 0) {
      return tl::unexpected(missing("runsc", "the gvisor backend needs gVisor's runtime"));
    }
    return found(host, "runsc", {});
  }
  if (kind != BackendKind::oci) {
    return fail(ErrorCode::internal, "choose_runtime: not a container backend");
  }
  if (asked == "runsc") {
    return fail(ErrorCode::invalid_argument,
                "runsc is gVisor: use the gvisor backend (--backend gvisor) rather than oci",
                {{"runtime", asked}});
  }
  if (asked.empty()) {
    // Automatic: crun is faster to start, runc runs everywhere we know of.
    const bool have_crun = host.runtimes.count("crun") != 0;
    const auto refusal = have_crun ? crun_refusal(host) : std::nullopt;
    if (have_crun && !refusal) return found(host, "crun", {});
    if (host.runtimes.count("runc") != 0) {
      return found(host, "runc", refusal ? "crun not used: " + *refusal : std::string());
    }
    if (have_crun) {
      return fail(ErrorCode::backend_unavailable,
                  *refusal + "; and runc is not installed (apt-get install runc)",
                  {{"runtime", "crun"}, {"package", "runc"}});
    }
    return tl::unexpected(make_error(
        ErrorCode::runtime_missing,
        "no OCI runtime found: install crun or runc (Debian packages: apt-get install runc)",
        {{"runtime", "runc"}, {"package", "runc"}}));
  }
  if (asked == "crun") {
    if (host.runtimes.count("crun") == 0) return tl::unexpected(missing("crun", "policy asks for crun"));
    if (const auto refusal = crun_refusal(host)) {
      if (oci.allow_runtime_fallback && host.runtimes.count("runc") != 0) {
        return found(host, "runc", "fell back from crun (oci.allow_runtime_fallback): " + *refusal);
      }
      return fail(ErrorCode::backend_unavailable,
                  *refusal + " (set oci.allow_runtime_fallback = true or oci.runtime = \"runc\")",
                  {{"runtime", "crun"}, {"cgroup_layout", "hybrid"}});
    }
    return found(host, "crun", {});
  }
  if (asked == "runc") return found(host, "runc", {});
  return fail(ErrorCode::invalid_argument, "unknown OCI runtime '" + asked + "'; valid: crun, runc",
              {{"runtime", asked}});
}

std::string runtime_version(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::string> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(path); it != cache.end()) return it->second;
  }
  std::string version;
  auto run = run_tool({path, "--version"}, std::chrono::seconds(5), 16u << 10);
  if (run && run->ok()) {
    std::istringstream lines(run->out);
    std::string first;
    std::getline(lines, first);
    const auto space = first.find_last_of(' ');
    version = space == std::string::npos ? first : first.substr(space + 1);
  }
  std::lock_guard<std::mutex> lock(mu);
  cache[path] = version;
  return version;
}

}  // namespace kavach::oci
