// The effective policy as TOML (what `kavach policy check` prints; parse_policy_toml reads it
// back) and as JSON with the same keys (`kavach policy check --json`): both from the key table.
#include <toml++/toml.h>

#include <sstream>

#include "core/policy_keys.hpp"
#include "kavach/json.hpp"
#include "kavach/policy.hpp"

namespace kavach {
namespace {

toml::table policy_table(const SandboxPolicy& p) {
  toml::table root;
  for (std::string_view section : kPolicySections) root.insert(section, toml::table{});
  for (const PolicyKey& k : policy_keys()) {
    if (!k.emit) continue;
    toml::table* into = k.section().empty() ? &root : root.get_as<toml::table>(k.section());
    k.emit(p, *into, k.name());
  }
  return root;
}

}  // namespace

std::string policy_to_toml(const SandboxPolicy& p) {
  std::ostringstream out;
  out << toml::toml_formatter(policy_table(p)) << "\n";
  return out.str();
}

nlohmann::json to_json(const SandboxPolicy& p) {
  // One table, two spellings: the JSON cannot drift from the TOML a policy file uses.
  std::ostringstream out;
  out << toml::json_formatter(policy_table(p));
  // No exceptions: a policy that fails validate_policy (a nan cpu) yields a discarded value.
  return nlohmann::json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace kavach
