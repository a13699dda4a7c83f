// Backends that cannot run commands on this build/host yet. They exist so `kavach backends`
// lists all ten honestly, and exec() fails with a precise reason instead of pretending.
#pragma once

#include <memory>

#include "kavach/backend.hpp"

namespace kavach {

[[nodiscard]] std::unique_ptr<Backend> make_unavailable_backend(BackendKind kind, const HostInfo& host);

}  // namespace kavach
