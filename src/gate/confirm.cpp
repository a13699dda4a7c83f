#include "gate/confirm.hpp"

#include <algorithm>

#include "gate/randomness.hpp"
#include "gate/validators.hpp"

namespace kavach::gate::detail {
namespace {

constexpr std::size_t kKeywordContext = 1024;  // keywords count this far around a match
constexpr std::size_t kMaxLine = 4096;         // allowlist "line" target is cut at this length

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains_ci(std::string_view hay, std::string_view needle_lower) {
  if (needle_lower.empty()) return true;
  if (hay.size() < needle_lower.size()) return false;
  for (std::size_t i = 0; i + needle_lower.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle_lower.size() && lower(hay[i + k]) == needle_lower[k]) ++k;
    if (k == needle_lower.size()) return true;
  }
  return false;
}

bool has_digit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view line_around(std::string_view text, std::size_t b, std::size_t e) {
  std::size_t lb = b;
  while (lb > 0 && b - lb < kMaxLine && text[lb - 1] != '\n') --lb;
  std::size_t le = e;
  while (le < text.size() && le - e < kMaxLine && text[le] != '\n') ++le;
  return text.substr(lb, le - lb);
}

bool any_partial(const std::vector<std::unique_ptr<RE2>>& res, std::string_view s) {
  return std::any_of(res.begin(), res.end(),
                     [&](const auto& re) { return RE2::PartialMatch(s, *re); });
}

bool allowlisted(const std::vector<CompiledAllowlist>& lists, std::string_view secret,
                 std::string_view match, std::string_view line, std::string_view source) {
  std::string lowered;
  for (const auto& c : lists) {
    const Allowlist& a = *c.source;
    std::string_view target = secret;
    if (a.target == AllowTarget::match) target = match;
    if (a.target == AllowTarget::line) target = line;
    if (!a.stopwords.empty() && lowered.empty()) {
      lowered.assign(secret);
      for (char& ch : lowered) ch = lower(ch);
    }
    const bool has_regex = !c.regexes.empty();
    const bool has_path = !c.paths.empty();
    const bool has_stop = !a.stopwords.empty();
    const bool has_commit = !a.commits.empty();
    const bool regex_hit = has_regex && any_partial(c.regexes, target);
    const bool path_hit = has_path && any_partial(c.paths, source);
    const bool stop_hit = has_stop && std::any_of(a.stopwords.begin(), a.stopwords.end(),
                                                  [&](const std::string& w) {
                                                    return lowered.find(w) != std::string::npos;
                                                  });
    if (a.require_all) {
      // A sandbox output has no commit: an AND condition naming commits never holds.
      if (has_commit) continue;
      if ((has_regex || has_path || has_stop) && (!has_regex || regex_hit) &&
          (!has_path || path_hit) && (!has_stop || stop_hit)) {
        return true;
      }
    } else if (regex_hit || path_hit || stop_hit) {
      return true;
    }
  }
  return false;
}

}  // namespace

SourceFilter make_source_filter(const Gate::Impl& g, std::string source,
                                const std::vector<std::uint8_t>& enabled) {
  SourceFilter f;
  f.source = std::move(source);
  f.active.assign(g.rules.rules.size(), 0);
  // A global allowlist entry made only of paths exempts the whole source (gitleaks semantics).
  bool source_exempt = false;
  for (const auto& paths : g.lazy->global_exempt_paths()) {
    if (any_partial(paths, f.source)) source_exempt = true;
  }
  for (std::size_t i = 0; i < g.rules.rules.size(); ++i) {
    if (source_exempt || (i < enabled.size() && enabled[i] == 0)) continue;
    const Rule& r = g.rules.rules[i];
    bool on = true;
    if (r.path.empty() && r.allowlists.empty()) {
      f.active[i] = 1;
      continue;
    }
    const SourceRule& s = g.lazy->source_rule(i);
    if (!r.path.empty()) {
      on = s.path != nullptr && s.path->ok() && RE2::PartialMatch(f.source, *s.path);
    }
    for (const auto& paths : s.exempt_paths) {
      if (on && any_partial(paths, f.source)) on = false;
    }
    f.active[i] = on ? 1 : 0;
  }
  return f;
}

bool confirm_window(const Gate::Impl& g, const SourceFilter& f, std::uint32_t rule,
                    std::string_view text, std::size_t from, std::size_t to, std::uint64_t base,
                    const std::string& encoding, std::vector<Span>& out, std::string* error) {
  if (rule >= g.rules.rules.size() || f.active[rule] == 0) return true;
  const Rule& r = g.rules.rules[rule];
  const CompiledRule& c = g.lazy->rule(rule);
  if (!c.error.empty() || c.regex == nullptr || !c.regex->ok()) {
    if (error != nullptr) *error = "rule " + r.id + ": " + c.error;
    return false;
  }
  const RE2& re = *c.regex;
  const int ngroups = re.NumberOfCapturingGroups();
  // Groups: on the stack for ordinary rules.
  re2::StringPiece small[16];
  std::vector<re2::StringPiece> large;
  re2::StringPiece* sub = small;
  if (ngroups + 1 > 16) {
    large.resize(static_cast<std::size_t>(ngroups) + 1);
    sub = large.data();
  }
  to = std::min(to, text.size());
  std::size_t pos = from;
  while (pos <= to) {
    // Two phases: the DFA finds the match bounds (fast over the whole window), then the groups
    // are extracted on the match alone.
    re2::StringPiece whole;
    if (!re.Match(text, pos, to, RE2::UNANCHORED, &whole, 1)) break;
    const std::size_t mb = static_cast<std::size_t>(whole.data() - text.data());
    const std::size_t me = mb + whole.size();
    pos = me > pos ? me : pos + 1;
    if (ngroups > 0) {
      if (!re.Match(text, mb, me, RE2::ANCHOR_BOTH, sub, ngroups + 1)) continue;
    } else {
      sub[0] = whole;
    }

    re2::StringPiece secret = sub[0];
    if (r.secret_group > 0) {
      secret = sub[static_cast<std::size_t>(r.secret_group)];
    } else {
      for (int k = 1; k <= ngroups; ++k) {
        if (!sub[static_cast<std::size_t>(k)].empty()) {
          secret = sub[static_cast<std::size_t>(k)];
          break;
        }
      }
    }
    if (secret.data() == nullptr || secret.empty()) continue;
    const std::string_view s(secret.data(), secret.size());
    const std::string_view match(sub[0].data(), sub[0].size());

    if (r.entropy > 0) {
      if (shannon_entropy(s) <= r.entropy) continue;
      // gitleaks: generic rules also need a digit in the secret.
      if (r.id.starts_with("generic") && !has_digit(s)) continue;
    }
    if (!r.keywords.empty()) {
      const std::size_t kb = mb > kKeywordContext ? mb - kKeywordContext : 0;
      const std::size_t ke = std::min(text.size(), me + kKeywordContext);
      const std::string_view around = text.substr(kb, ke - kb);
      if (std::none_of(r.keywords.begin(), r.keywords.end(),
                       [&](const std::string& k) { return contains_ci(around, k); })) {
        continue;
      }
    }
    if (!std::all_of(r.validators.begin(), r.validators.end(),
                     [&](Validator v) { return validate(v, s); })) {
      continue;
    }
    if (r.randomness && !looks_random(s)) continue;
    if (r.placeholder_check && is_placeholder(s)) continue;
    const std::size_t sb = static_cast<std::size_t>(secret.data() - text.data());
    const std::size_t se = sb + secret.size();
    if (!r.allowlists.empty() || !g.rules.allowlists.empty()) {
      const std::string_view line = line_around(text, mb, me);
      if (allowlisted(c.allowlists, s, match, line, f.source) ||
          allowlisted(g.lazy->global(), s, match, line, f.source)) {
        continue;
      }
    }
    out.push_back(Span{base + sb, base + se, rule, encoding});
  }
  return true;
}

}  // namespace kavach::gate::detail
