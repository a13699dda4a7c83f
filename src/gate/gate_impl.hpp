// What a Gate holds: the rule model, the Hyperscan database and, built lazily per rule on first
// hit, the RE2 programs that confirm candidates. Immutable after construction except for those
// lazily built programs, which std::call_once makes safe to share between threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "gate/hs_compile.hpp"
#include "gate/hs_handles.hpp"
#include "gate/rule.hpp"
#include "kavach/gate.hpp"

namespace kavach::gate::detail {

struct CompiledAllowlist {
  const Allowlist* source = nullptr;
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<std::unique_ptr<RE2>> paths;
};

struct CompiledRule {
  std::unique_ptr<RE2> regex;
  std::unique_ptr<RE2> path;
  std::vector<CompiledAllowlist> allowlists;
  std::string error;  // set when a program failed to build (a corrupt database): fail closed
};

// What deciding whether a rule applies to a source needs: the rule's path regex and the paths
// of its path-only allowlists. Kept apart from CompiledRule so opening a scanner compiles only
// these small programs; the rule's own regex is compiled on its first candidate.
struct SourceRule {
  std::unique_ptr<RE2> path;
  std::vector<std::vector<std::unique_ptr<RE2>>> exempt_paths;  // one entry per path-only allowlist
};

// An allowlist that exempts a source by its path alone (no regexes, stopwords or AND).
[[nodiscard]] bool is_path_only(const Allowlist& a);

class LazyRules {
 public:
  LazyRules(const RuleSet& set);
  // Thread-safe; compile on first use.
  [[nodiscard]] const CompiledRule& rule(std::size_t i) const;
  [[nodiscard]] const SourceRule& source_rule(std::size_t i) const;
  [[nodiscard]] const std::vector<CompiledAllowlist>& global() const;
  // The global allowlists' paths, for those made of paths only.
  [[nodiscard]] const std::vector<std::vector<std::unique_ptr<RE2>>>& global_exempt_paths() const;

 private:
  const RuleSet& set_;
  std::unique_ptr<std::once_flag[]> once_;
  std::unique_ptr<CompiledRule[]> compiled_;
  std::unique_ptr<std::once_flag[]> source_once_;
  std::unique_ptr<SourceRule[]> source_;
  mutable std::once_flag global_once_;
  mutable std::vector<CompiledAllowlist> global_;
  mutable std::once_flag global_paths_once_;
  mutable std::vector<std::vector<std::unique_ptr<RE2>>> global_paths_;
};

[[nodiscard]] std::vector<CompiledAllowlist> compile_allowlists(const std::vector<Allowlist>& lists,
                                                                std::string* error);

}  // namespace kavach::gate::detail

namespace kavach::gate {

struct Gate::Impl {
  detail::RuleSet rules;
  std::vector<detail::PatternRef> patterns;
  std::vector<std::uint32_t> digit_patterns;  // ids of PatternKind::digit_run entries
  std::uint32_t hold = 0;
  detail::HsDatabase db;
  detail::HsScratch scratch_prototype;  // cloned for every scanner
  std::unique_ptr<detail::LazyRules> lazy;
  LoadInfo info;
};

}  // namespace kavach::gate
