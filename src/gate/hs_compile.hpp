// Candidate stage: every rule of a RuleSet in one Hyperscan streaming database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hs.h>

#include "gate/hs_handles.hpp"
#include "gate/rule.hpp"
#include "kavach/error.hpp"

namespace kavach::gate::detail {

// How a Hyperscan id relates to its rule.
enum class PatternKind : std::uint8_t {
  exact,      // Hyperscan runs the rule's regex itself: a hit ends a real match
  prefilter,  // HS_FLAG_PREFILTER approximation: a hit may be a real match
  keyword,    // the regex cannot be compiled: a rule keyword was seen, RE2 searches around it
  digit_run,  // not in Hyperscan: the run scanner reports digit runs (rule digitRun); ids after
              // every Hyperscan id
};

// Window around a digit run: hits are added as [run begin + kDigitRunLeft - kDigitRunContext,
// run end], so RE2 sees the run plus kDigitRunContext bytes on each side.
inline constexpr std::uint32_t kDigitRunContext = 40;
inline constexpr std::uint32_t kDigitRunLeft = 64;
inline constexpr std::uint32_t kDigitRunRight = 40;

struct PatternRef {
  std::uint32_t rule = 0;
  PatternKind kind = PatternKind::exact;
  std::uint32_t left = 0;   // a match ending at the hit starts at most this far before it
  std::uint32_t right = 0;  // and may end this far after it
};

// Window cap for rules whose matches have no upper bound (".*", "{20,}"): a match longer than
// this is still found when Hyperscan reports its end, but RE2 looks back at most this far.
inline constexpr std::uint32_t kMaxWindow = 16 * 1024;
// Bytes of right context RE2 gets beyond a hit (word boundaries, terminators, greedy tails).
inline constexpr std::uint32_t kRightContext = 64;

struct CompiledPatterns {
  std::vector<PatternRef> patterns;  // index = Hyperscan id (digit_run entries come last)
  HsDatabase db;
  std::uint32_t hold = 0;  // bytes a streaming scanner must hold back (max left + right)
};

// `platform`: null for the running host.
[[nodiscard]] Result<CompiledPatterns> compile_patterns(const RuleSet& set,
                                                        const hs_platform_info_t* platform);

// Hold-back for a pattern table (also recomputed after loading a database file).
[[nodiscard]] std::uint32_t hold_for(const std::vector<PatternRef>& patterns);

}  // namespace kavach::gate::detail
