#include "backends/unavailable_backend.hpp"

#include <string>

namespace kavach {
namespace {

// Why a backend cannot run here; the host facts that would be needed are named.
std::string reason_for(BackendKind kind, const HostInfo& host) {
  auto has = [&](const char* rt) { return host.runtimes.count(rt) != 0; };
  switch (kind) {
    case BackendKind::firecracker:
      return has("firecracker") ? "firecracker found, but kavach has no microVM driver yet"
                                : "firecracker is not installed (not packaged in Debian 12); "
                                  "kavach has no microVM driver yet";
    case BackendKind::wasm:
      return has("wasmtime") ? "wasmtime found, but kavach has no WASM runner yet"
                             : "no WASM runtime (wasmtime) installed; kavach has no WASM runner yet";
    case BackendKind::sgx:
      return host.sgx_device ? "/dev/sgx_enclave present, but kavach has no SGX driver yet"
                             : "no SGX hardware (/dev/sgx_enclave absent)";
    case BackendKind::sev:
      return host.sev_device ? "/dev/sev present, but kavach has no SEV launcher yet"
                             : "no AMD SEV hardware (/dev/sev absent)";
    case BackendKind::tdx:
      return host.tdx_device ? "TDX device present, but kavach has no TDX launcher yet"
                             : "no Intel TDX hardware";
    case BackendKind::syagnos:
      return "SyAgnos hardened image backend not built yet (needs podman/docker image tiers)";
    case BackendKind::oci:
    case BackendKind::gvisor:
    case BackendKind::process:
    case BackendKind::noop:
      break;  // built in (factory.cpp): never unavailable for want of a driver
  }
  return "no driver for this backend";
}

class UnavailableBackend final : public Backend {
 public:
  UnavailableBackend(BackendKind kind, std::string reason) : kind_(kind), reason_(std::move(reason)) {}
  BackendKind kind() const override { return kind_; }
  Maturity maturity() const override { return Maturity::not_implemented; }
  Availability availability() const override { return {false, reason_}; }
  Result<ExecResult> run(const ValidPolicy&, const Command&) override {
    return fail(ErrorCode::backend_unavailable,
                "backend '" + std::string(to_string(kind_)) + "' cannot run commands: " + reason_,
                {{"backend", std::string(to_string(kind_))}});
  }
  Result<void> health_check() override {
    return fail(ErrorCode::backend_unavailable, reason_, {{"backend", std::string(to_string(kind_))}});
  }
  Result<void> destroy() override { return {}; }

 private:
  BackendKind kind_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Backend> make_unavailable_backend(BackendKind kind, const HostInfo& host) {
  return std::make_unique<UnavailableBackend>(kind, reason_for(kind, host));
}

}  // namespace kavach
