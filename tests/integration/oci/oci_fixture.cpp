#include "oci_fixture.hpp"

#include <unistd.h>

#include <sstream>

#include "backends/oci/oci_backend.hpp"
#include "backends/oci/state_dirs.hpp"
#include "backends/oci/tool_process.hpp"
#include "backends/process/process_backend.hpp"

namespace kavach::oci_test {

BackendOrSkip make(BackendKind kind, const HostInfo& host) {
  BackendOrSkip out;
  if (::geteuid() != 0) {
    out.skip = "the container backends run their runtime as root; not root here";
    return out;
  }
  auto b = create_backend(kind, host);
  // The comparison baseline: the process backend, also where the factory does not offer it yet.
  if (kind == BackendKind::process && b && (*b)->maturity() != Maturity::runs_commands) {
    b = process::make_process_backend(host);
  }
  if (!b) {
    out.skip = b.error().message;
    return out;
  }
  const Availability a = (*b)->availability();
  if ((*b)->maturity() != Maturity::runs_commands || !a.available) {
    out.skip = std::string(to_string(kind)) + " backend cannot run commands here: " + a.reason;
    return out;
  }
  out.backend = std::move(*b);
  return out;
}

SandboxPolicy quick_policy(Preset preset) {
  SandboxPolicy p = preset_policy(preset);
  p.limits.wall_timeout = std::chrono::milliseconds(20'000);
  p.fs.readonly_paths.push_back(std::filesystem::path(probe_path()).parent_path());
  return p;
}

Command command(std::vector<std::string> argv) {
  Command c;
  c.argv = std::move(argv);
  return c;
}

std::string probe_path() { return KAVACH_OCI_PROBE; }

std::vector<std::string> listed_containers(const std::string& runtime) {
  std::vector<std::string> out;
  const auto bin = probe_host_cached().runtimes.find(runtime);
  if (bin == probe_host_cached().runtimes.end()) return out;
  for (const auto& dirs : oci::existing_state_dirs()) {  // disk and memory-backed (secrets)
    auto run = oci::run_tool({bin->second, "--root", dirs.runtime_root(runtime).string(), "list", "--quiet"},
                             std::chrono::seconds(10));
    if (!run) return {"<cannot list: " + run.error().message + ">"};
    std::istringstream in(run->out);
    std::string id;
    while (std::getline(in, id)) {
      if (id.rfind("kavach-", 0) == 0) out.push_back(id);
    }
  }
  return out;
}

std::vector<std::string> leftover_bundles() {
  std::vector<std::string> out;
  for (const auto& dirs : oci::existing_state_dirs()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dirs.bundles(), ec)) out.push_back(e.path().string());
  }
  return out;
}

std::string describe(const ExecResult& r) {
  std::ostringstream s;
  s << "exit=" << (r.exit_code ? std::to_string(*r.exit_code) : "-")
    << " signal=" << (r.signal ? std::to_string(*r.signal) : "-") << " timed_out=" << r.timed_out
    << " oom=" << r.oom_killed << " pids_hit=" << r.pids_limit_hit << "\nstdout: " << r.stdout_data
    << "\nstderr: " << r.stderr_data;
  for (const auto& [k, v] : r.backend_info) s << "\n  " << k << ": " << v;
  return s.str();
}

}  // namespace kavach::oci_test
