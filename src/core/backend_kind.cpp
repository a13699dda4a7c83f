#include "kavach/backend_kind.hpp"

#include <string>

#include "core/enum_parse.hpp"

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
  return parse_enum<BackendKind>(name, kAllBackends, ErrorCode::unknown_backend, "backend", "backends",
                                 {{"backend", std::string(name)}});
}

}  // namespace kavach
