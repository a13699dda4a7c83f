// Go/RE2 regex syntax -> Hyperscan (PCRE) syntax.
#pragma once

#include <string>
#include <string_view>

namespace kavach::gate::detail {

struct Translated {
  std::string pattern;
  // The translation had to widen something (Unicode classes in byte mode): Hyperscan can only
  // prefilter this pattern; RE2 decides.
  bool approximate = false;
};

// Differences handled: \z (same meaning, kept), \Q..\E (expanded to escapes), \pX / \p{..} / \PX
// (Unicode classes; widened to any byte >= 0x80 plus ASCII letters/digits), octal escapes \123
// (Hyperscan would read \1 as a back-reference), the ungreedy flag U (irrelevant for finding
// ends; dropped), and Go's \C-free, backreference-free grammar needs nothing else: (?i) inside
// groups, (?i:...), (?-i:...), [[:alnum:]], \x60, {n,m} and lazy quantifiers mean the same.
[[nodiscard]] Translated translate_go_regex(std::string_view go);

// `literal` escaped so that every byte matches itself.
[[nodiscard]] std::string escape_literal(std::string_view literal);

}  // namespace kavach::gate::detail
