// The isolation backends kavach knows about.
#pragma once

#include <array>
#include <string_view>

#include "kavach/error.hpp"

namespace kavach {

enum class BackendKind { process, gvisor, firecracker, wasm, oci, sgx, sev, tdx, syagnos, noop };

inline constexpr std::array<BackendKind, 10> kAllBackends = {
    BackendKind::process, BackendKind::gvisor, BackendKind::firecracker, BackendKind::wasm,
    BackendKind::oci,     BackendKind::sgx,    BackendKind::sev,         BackendKind::tdx,
    BackendKind::syagnos, BackendKind::noop};

[[nodiscard]] std::string_view to_string(BackendKind kind);
// Error message lists the valid names.
[[nodiscard]] Result<BackendKind> parse_backend(std::string_view name);

}  // namespace kavach
