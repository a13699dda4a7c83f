#include "audit/state_dir.hpp"

#include "core/user_cache.hpp"

namespace kavach::detail {

std::optional<std::filesystem::path> audit_state_dir() { return user_cache::state_root(); }

}  // namespace kavach::detail
