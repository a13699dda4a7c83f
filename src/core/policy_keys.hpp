// The policy's schema, written once: every key a policy file may set, what kind of value it
// takes, what it means, how it is read from TOML and how it is written back. The file reader
// (policy_toml.cpp), the emitter (TOML and JSON, policy_emit.cpp) and docs/policy.md's key
// table (compared by a test) all come from this one table.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/toml_reader.hpp"
#include "kavach/policy.hpp"

namespace kavach {

struct PolicyKey {
  std::string_view path;  // as a file writes it: "limits.memory", or "uid" at the top
  std::string_view kind;  // for people: "size", "bool", "paths", ...
  std::string_view doc;   // one line
  // Reads the value at `node` (spelled `key` in errors) into the policy.
  std::function<Result<void>(const TomlReader&, const toml::node& node, const std::string& key, SandboxPolicy&)>
      read;
  // Writes the policy's value as `name` into its section's table; empty for keys that only
  // edit a list (the `_add` twins), which the emitted list already contains.
  std::function<void(const SandboxPolicy&, toml::table& section, std::string_view name)> emit;
  // Numeric keys: the policy's value within the key's range (policies built in code pass the
  // same ranges as files); empty for the others.
  std::function<Result<void>(const SandboxPolicy&)> check;

  [[nodiscard]] std::string_view section() const;  // "" at the top
  [[nodiscard]] std::string_view name() const;     // the part after the section
};

// The tables a policy file may have, in the order docs/policy.md shows them.
inline constexpr std::string_view kPolicySections[] = {"seccomp", "landlock", "network", "limits", "fs", "oci"};

[[nodiscard]] const std::vector<PolicyKey>& policy_keys();
// Every numeric value of the policy within its key's range (validate_policy).
[[nodiscard]] Result<void> check_policy_numbers(const SandboxPolicy& policy);
// docs/policy.md's key table: `| key | kind | meaning |`, one row per key.
[[nodiscard]] std::string policy_keys_markdown();

}  // namespace kavach
