#include "kavach/backend_kind.hpp"

#include <string>

namespace kavach {

std::string_view to_string(BackendKind kind) {
  switch (kind) {
    case BackendKind::process: return "process";
    case BackendKind::gvisor: return "gvisor";
    case BackendKind::firecracker: return "firecracker";
    case BackendKind::wasm: return "wasm";
    case BackendKind::oci: return "oci";
    case BackendKind::sgx: return "sgx";
    case BackendKind::sev: return "sev";
    case BackendKind::tdx: return "tdx";
    case BackendKind::syagnos: return "syagnos";
    case BackendKind::noop: return "noop";
  }
  return "noop";
}

Result<BackendKind> parse_backend(std::string_view name) {
  std::string valid;
  for (BackendKind k : kAllBackends) {
    if (to_string(k) == name) return k;
    if (!valid.empty()) valid += ", ";
    valid += to_string(k);
  }
  return fail(ErrorCode::unknown_backend,
              "unknown backend '" + std::string(name) + "'; valid backends: " + valid,
              {{"backend", std::string(name)}});
}

}  // namespace kavach
