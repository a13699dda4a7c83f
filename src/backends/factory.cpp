// create_backend(): the one place that knows every backend. Backends never include each other.
#include <string>

#include "backends/noop/noop_backend.hpp"
#include "backends/oci/oci_backend.hpp"
#include "backends/process/process_backend.hpp"
#include "backends/unavailable_backend.hpp"
#include "kavach/backend.hpp"

namespace kavach {

std::string_view to_string(Maturity m) {
  switch (m) {
    case Maturity::runs_commands: return "runs-commands";
    case Maturity::config_only: return "config-only";
    case Maturity::not_implemented: return "not-implemented";
    case Maturity::runs_nothing: return "runs-nothing";
  }
  return "not-implemented";
}

Result<std::unique_ptr<Backend>> create_backend(BackendKind kind) {
  // The process and noop backends run no runtime: they skip the PATH search for them.
  const bool needs_runtimes = kind != BackendKind::process && kind != BackendKind::noop;
  return create_backend(kind, needs_runtimes ? probe_host_cached() : probe_kernel_cached());
}

Result<std::unique_ptr<Backend>> create_backend(BackendKind kind, const HostInfo& host) {
  switch (kind) {
    case BackendKind::noop:
      return noop::make_noop_backend();
    case BackendKind::process:
      return process::make_process_backend(host);
    case BackendKind::oci:
      return oci::make_oci_backend(host, {});
    case BackendKind::gvisor:
      return oci::make_gvisor_backend(host);
    default:
      return make_unavailable_backend(kind, host);
  }
}

}  // namespace kavach
