#include "backends/process/process_backend.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "backends/common/cgroup.hpp"
#include "backends/process/process_backend_impl.hpp"

namespace kavach::process {
namespace {

// /proc/self/stat fields 48 and 49: where this process's argv strings live.
std::pair<char*, std::size_t> own_arg_area() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {nullptr, 0};
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long start = 0;
  unsigned long long end = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 48) start = std::stoull(f);
    if (i == 49) {
      end = std::stoull(f);
      break;
    }
  }
  if (start == 0 || end <= start) return {nullptr, 0};
  return {reinterpret_cast<char*>(start), static_cast<std::size_t>(end - start)};
}

}  // namespace

ProcessBackend::ProcessBackend(HostInfo host, ProcessBackendOptions options)
    : host_(std::move(host)),
      options_(options),
      idmap_(options.identity.sandbox_host_uid, options.identity.sandbox_host_gid) {
  common::remove_stale_run_cgroups(host_.cgroups);
  try {
    auto [area, len] = own_arg_area();
    arg_area_ = area;
    arg_area_len_ = len;
  } catch (...) {
    arg_area_ = nullptr;  // cosmetic only: PID 1 then shows the host's argv in /proc/1/cmdline
  }
}

Availability ProcessBackend::availability() const {
  if (!host_.user_namespaces && !host_.is_root) {
    return {false, "no user namespaces (" + host_.userns_reason +
                       ") and not root: no namespaces can be created"};
  }
  std::string what = host_.user_namespaces ? "user namespaces" : "root without user namespaces";
  what += ", Landlock ABI " + std::to_string(host_.landlock_abi);
  what += ", cgroups " + std::string(to_string(host_.cgroups.layout));
  return {true, what};
}

Result<void> ProcessBackend::health_check() {
  const Availability a = availability();
  if (!a.available) {
    return fail(ErrorCode::backend_unavailable, "process backend unavailable: " + a.reason,
                {{"backend", "process"}});
  }
  return {};
}

ProcessBackendOptions default_process_options() {
  ProcessBackendOptions o;
  o.identity.caller_uid = ::geteuid();
  o.identity.caller_gid = ::getegid();
  return o;
}

std::unique_ptr<kavach::Backend> make_process_backend(const HostInfo& host) {
  return make_process_backend(host, default_process_options());
}

std::unique_ptr<kavach::Backend> make_process_backend(const HostInfo& host, ProcessBackendOptions options) {
  return std::make_unique<ProcessBackend>(host, options);
}

}  // namespace kavach::process
