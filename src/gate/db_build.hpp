// RuleSet -> database file (used by the build-time generator and on a cache miss).
#pragma once

#include <hs.h>

#include "gate/db_file.hpp"
#include "gate/hs_compile.hpp"

namespace kavach::gate::detail {

struct BuiltDb {
  DbFile file;
  CompiledPatterns compiled;  // the live database, so a cache miss need not deserialize
};

// Validates, compiles (platform null = this host) and serializes.
[[nodiscard]] Result<BuiltDb> build_db(RuleSet set, const hs_platform_info_t* platform);

// Whether a serialized Hyperscan database can run on this CPU (it records the instruction set
// extensions it was compiled for).
[[nodiscard]] bool hs_db_fits_host(std::string_view serialized);

}  // namespace kavach::gate::detail
