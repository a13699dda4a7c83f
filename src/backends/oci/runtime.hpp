// Which OCI runtime runs a container here: crun, runc or runsc (gVisor), chosen from the host
// probe and the policy, with the host's quirks named (crun refuses hybrid cgroup layouts).
#pragma once

#include <optional>
#include <string>

#include "kavach/backend_kind.hpp"
#include "kavach/error.hpp"
#include "kavach/host.hpp"
#include "kavach/policy.hpp"

namespace kavach::oci {

enum class RuntimeFlavor { crun, runc, runsc };

struct RuntimeChoice {
  RuntimeFlavor flavor = RuntimeFlavor::runc;
  std::string name;     // "runc"
  std::string path;     // absolute path of the binary
  std::string version;  // "1.1.5+ds1" (first line of `<runtime> --version`, last word)
  std::string note;     // why this one (fallbacks are named here), empty when nothing to say
};

// Debian package that installs a runtime binary (the install hint in runtime_missing errors).
[[nodiscard]] std::string debian_package(const std::string& runtime);

// Why crun cannot run on this host, or nullopt when it can. crun (1.8.1 in Debian 12) refuses
// hybrid layouts whose unified hierarchy offers any controller ("cgroups in hybrid mode not
// supported, drop all controllers from cgroupv2").
[[nodiscard]] std::optional<std::string> crun_refusal(const HostInfo& host);

// `override_name` (e.g. from --runtime) wins over policy.oci.runtime; empty both = automatic:
// crun > runc for the oci backend, runsc for gvisor. Errors: runtime_missing (with the Debian
// package), backend_unavailable (crun on a hybrid host without fallback), invalid_argument
// (runsc asked of the oci backend or vice versa).
[[nodiscard]] Result<RuntimeChoice> choose_runtime(BackendKind kind, const HostInfo& host,
                                                   const OciPolicy& oci,
                                                   const std::string& override_name);

// `<path> --version`, cached per path. Empty when it cannot be run.
[[nodiscard]] std::string runtime_version(const std::string& path);

}  // namespace kavach::oci
