// Confirm stage: RE2 on a bounded window around Hyperscan hits, then the checks that decide
// whether a match is a finding (entropy, keywords, validators, randomness, placeholders,
// allowlists). Linear time: RE2 never backtracks and every window is bounded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gate/gate_impl.hpp"

namespace kavach::gate::detail {

inline constexpr std::uint32_t kRegisteredIndex = UINT32_MAX - 1;

// A confirmed secret location.
struct Span {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint32_t rule = 0;  // index into the rule set, or kRegisteredIndex
  std::string encoding;    // "" plain, else the decode path ("base64", "base64/url")
  std::uint32_t secret = 0;  // registered secret index (rule == kRegisteredIndex)
  bool extend = false;       // base64 core: neighbouring partial characters belong to it
};

// The span of a registered secret's match ending at `to`: `length` bytes long, found under the
// decode path `outer` (may be empty) in the variant's own `variant_encoding` ("" raw, "hex", ...).
[[nodiscard]] inline Span registered_secret_span(std::uint64_t to, std::size_t length, std::uint32_t secret,
                                                 const std::string& outer,
                                                 const std::string& variant_encoding, bool extend) {
  Span s;
  s.end = to;
  s.begin = to - length;
  s.rule = kRegisteredIndex;
  s.secret = secret;
  s.extend = extend;
  s.encoding = outer;
  if (!variant_encoding.empty()) s.encoding += (s.encoding.empty() ? "" : "/") + variant_encoding;
  return s;
}

// Per scanner: which rules apply to this source.
struct SourceFilter {
  std::string source;
  std::vector<std::uint8_t> active;  // per rule
};

[[nodiscard]] SourceFilter make_source_filter(const Gate::Impl& g, std::string source,
                                              const std::vector<std::uint8_t>& enabled);

// Searches text[from, to) (text is the context: anchors and \b see outside the window) for
// matches of rule `rule`; appends the accepted ones with offsets + `base`.
// Returns false (and sets *error) when the rule's program is unusable: the caller fails closed.
[[nodiscard]] bool confirm_window(const Gate::Impl& g, const SourceFilter& f, std::uint32_t rule,
                                  std::string_view text, std::size_t from, std::size_t to,
                                  std::uint64_t base, const std::string& encoding,
                                  std::vector<Span>& out, std::string* error);

}  // namespace kavach::gate::detail
