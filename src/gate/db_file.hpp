// The gate database file (.kdb): rule model + pattern table + serialized Hyperscan database.
// Written at build time for the builtin rules (embedded in the library) and into the cache for
// user rule files; loading one costs a deserialization, never a compilation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gate/hs_compile.hpp"
#include "gate/rule.hpp"
#include "kavach/error.hpp"

namespace kavach::gate::detail {

struct DbDependency {
  std::string path;    // a rule file this database was built from
  std::string sha256;  // hex digest of its content when built
};

struct DbFile {
  RuleSet rules;
  std::vector<PatternRef> patterns;
  std::string hs_database;  // hs_serialize_database bytes
  std::vector<DbDependency> deps;
};

[[nodiscard]] std::string encode_db_file(const DbFile& db);
// Structure checks only (magic, version, bounds, indices); the caller deserializes Hyperscan.
[[nodiscard]] Result<DbFile> decode_db_file(std::string_view bytes, std::string_view origin);

// Serialize / deserialize the Hyperscan part.
[[nodiscard]] Result<std::string> serialize_hs(const hs_database_t* db);
[[nodiscard]] Result<HsDatabase> deserialize_hs(std::string_view bytes, std::string_view origin);

}  // namespace kavach::gate::detail
