// Rule files in gitleaks' TOML format (plus kavach extensions) -> RuleSet.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gate/rule.hpp"
#include "kavach/error.hpp"

namespace kavach::gate::detail {

struct LoadedRules {
  RuleSet set;
  // Rule files read (the file itself and `[extend] path` files): path and content. A cached
  // database records their hashes and is used only while they are unchanged.
  std::vector<std::pair<std::string, std::string>> files;
  bool uses_builtin = false;  // [extend] useDefault = true
};

// `builtin` serves `[extend] useDefault = true`; null when the builtin rules themselves load.
// `base_dir` resolves `[extend] path`.
[[nodiscard]] Result<LoadedRules> parse_rules_toml(std::string_view text, std::string_view origin,
                                                   const std::filesystem::path& base_dir,
                                                   const RuleSet* builtin, int depth = 0);
[[nodiscard]] Result<LoadedRules> load_rules_file(const std::filesystem::path& file,
                                                  const RuleSet* builtin, int depth = 0);

// Semantic checks shared by every origin: unique ids, regexes compile in RE2, secretGroup exists.
[[nodiscard]] Result<void> validate_rules(const RuleSet& set);

}  // namespace kavach::gate::detail
