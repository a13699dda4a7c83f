// Noop backend: runs nothing. For testing the layers above (lifecycle, gate, audit, score).
#pragma once

#include <memory>

#include "kavach/backend.hpp"

namespace kavach::noop {

[[nodiscard]] std::unique_ptr<Backend> make_noop_backend();

}  // namespace kavach::noop
