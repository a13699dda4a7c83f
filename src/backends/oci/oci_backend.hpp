// The oci backend (crun / runc) and the gvisor backend (runsc): one SandboxPolicy becomes an
// OCI bundle (config.json + root filesystem) that a real runtime runs.
#pragma once

#include <memory>
#include <string>

#include "kavach/backend.hpp"
#include "kavach/host.hpp"

namespace kavach::oci {

// `runtime_override` ("crun", "runc"; empty = policy.oci.runtime, then automatic) wins over
// the policy.
[[nodiscard]] std::unique_ptr<kavach::Backend> make_oci_backend(const HostInfo& host,
                                                                std::string runtime_override = {});
[[nodiscard]] std::unique_ptr<kavach::Backend> make_gvisor_backend(const HostInfo& host);

}  // namespace kavach::oci
