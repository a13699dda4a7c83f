#include "gate/hs_compile.hpp"

#include <algorithm>
#include <map>

#include "gate/pattern_translate.hpp"

namespace kavach::gate::detail {
namespace {

struct Candidate {
  std::string expression;
  unsigned flags = 0;
  PatternRef ref;
};

// Max width of the exact pattern, capped.
std::uint32_t window_for(const std::string& expr) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(expr.c_str(), 0, &info, &err) != HS_SUCCESS) {
    hs_free_compile_error(err);
    return kMaxWindow;
  }
  const unsigned w = info->max_width;
  free(info);  // NOLINT: allocated by Hyperscan with malloc
  return w == UINT_MAX ? kMaxWindow : std::min<std::uint32_t>(w, kMaxWindow);
}

bool compiles(const std::string& expr, unsigned flags, std::string* why) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(expr.c_str(), flags, &info, &err) != HS_SUCCESS) {
    if (why != nullptr) *why = err->message;
    hs_free_compile_error(err);
    return false;
  }
  free(info);  // NOLINT: allocated by Hyperscan with malloc
  return true;
}

void add_keyword_fallback(const Rule& r, std::uint32_t index, std::vector<Candidate>& out) {
  for (const auto& k : r.keywords) {
    Candidate c;
    c.expression = escape_literal(k);
    c.flags = HS_FLAG_CASELESS;
    c.ref = PatternRef{index, PatternKind::keyword, kMaxWindow, kMaxWindow};
    out.push_back(std::move(c));
  }
}

}  // namespace

std::uint32_t hold_for(const std::vector<PatternRef>& patterns) {
  std::uint32_t hold = kRightContext + 1;
  for (const auto& p : patterns) hold = std::max(hold, p.left + p.right + kRightContext + 1);
  return hold;
}

Result<CompiledPatterns> compile_patterns(const RuleSet& set, const hs_platform_info_t* platform) {
  std::vector<Candidate> cands;
  for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
    const Rule& r = set.rules[i];
    if (r.regex.empty()) continue;  // path-only rule: judged on the source name
    if (r.digit_min > 0) continue;  // candidates from the digit-run scanner (appended below)
    Translated t = translate_go_regex(r.regex);
    std::string why;
    Candidate c;
    c.expression = t.pattern;
    if (!r.prefilter.empty()) {
      const Translated pf = translate_go_regex(r.prefilter);
      if (!compiles(pf.pattern, 0, &why)) {
        return fail(ErrorCode::policy_value, "prefilter does not compile in Hyperscan: " + why,
                    {{"file", set.origin}, {"rule", r.id}});
      }
      c.expression = pf.pattern;
      c.ref = PatternRef{i, PatternKind::prefilter,
                         t.approximate ? kMaxWindow : window_for(t.pattern), kRightContext};
    } else if (!t.approximate && compiles(t.pattern, 0, &why)) {
      c.ref = PatternRef{i, PatternKind::exact, window_for(t.pattern), 0};
    } else if (compiles(t.pattern, HS_FLAG_PREFILTER, &why)) {
      c.flags = HS_FLAG_PREFILTER;
      c.ref = PatternRef{i, PatternKind::prefilter, kMaxWindow, kRightContext};
    } else if (!r.keywords.empty()) {
      add_keyword_fallback(r, i, cands);
      continue;
    } else {
      return fail(ErrorCode::policy_value,
                  "regex cannot be prefiltered by Hyperscan (" + why +
                      ") and the rule has no keywords to fall back on",
                  {{"file", set.origin}, {"rule", r.id}});
    }
    if (r.max_length > 0) c.ref.left = std::min<std::uint32_t>(c.ref.left, static_cast<std::uint32_t>(r.max_length));
    cands.push_back(std::move(c));
  }

  // hs_compile_multi can still refuse a pattern that passed hs_expression_info (resource
  // limits): demote that one (exact -> prefilter -> keywords) and retry.
  for (int attempt = 0; attempt < 64; ++attempt) {
    std::vector<const char*> exprs;
    std::vector<unsigned> flags;
    std::vector<unsigned> ids;
    for (std::size_t k = 0; k < cands.size(); ++k) {
      exprs.push_back(cands[k].expression.c_str());
      flags.push_back(cands[k].flags);
      ids.push_back(static_cast<unsigned>(k));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (cands.empty()) {
      // An empty rule set still needs a database: one pattern that cannot occur in text.
      static const char* kNever = "\\x00kavach-empty-ruleset\\x00";
      const unsigned f = 0;
      const unsigned id = 0;
      if (hs_compile_multi(&kNever, &f, &id, 1, HS_MODE_STREAM, platform, &db, &err) != HS_SUCCESS) {
        HsCompileError e(err);
        return fail(ErrorCode::gate_error, std::string("hyperscan: ") + e->message);
      }
      CompiledPatterns out;
      out.patterns.push_back(PatternRef{UINT32_MAX, PatternKind::exact, 0, 0});
      for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
        if (set.rules[i].digit_min > 0) {
          out.patterns.push_back(PatternRef{i, PatternKind::digit_run, kDigitRunLeft, kDigitRunRight});
        }
      }
      out.db.reset(db);
      out.hold = hold_for(out.patterns);
      return out;
    }
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                         HS_MODE_STREAM, platform, &db, &err) == HS_SUCCESS) {
      CompiledPatterns out;
      for (auto& c : cands) out.patterns.push_back(c.ref);
      for (std::uint32_t i = 0; i < set.rules.size(); ++i) {
        if (set.rules[i].digit_min > 0) {
          out.patterns.push_back(PatternRef{i, PatternKind::digit_run, kDigitRunLeft, kDigitRunRight});
        }
      }
      out.db.reset(db);
      out.hold = hold_for(out.patterns);
      return out;
    }
    HsCompileError e(err);
    if (e->expression < 0 || static_cast<std::size_t>(e->expression) >= cands.size()) {
      return fail(ErrorCode::gate_error, std::string("hyperscan could not compile the rules: ") +
                                             e->message,
                  {{"file", set.origin}});
    }
    const auto bad = static_cast<std::size_t>(e->expression);
    Candidate& c = cands[bad];
    const Rule& r = set.rules[c.ref.rule];
    if (c.ref.kind == PatternKind::exact) {
      c.flags = HS_FLAG_PREFILTER;
      c.ref = PatternRef{c.ref.rule, PatternKind::prefilter, kMaxWindow, kRightContext};
    } else if (c.ref.kind == PatternKind::prefilter && !r.keywords.empty()) {
      const std::uint32_t rule = c.ref.rule;
      cands.erase(cands.begin() + static_cast<std::ptrdiff_t>(bad));
      std::vector<Candidate> kw;
      add_keyword_fallback(set.rules[rule], rule, kw);
      for (auto& k : kw) cands.push_back(std::move(k));
    } else {
      return fail(ErrorCode::policy_value,
                  std::string("hyperscan cannot compile this rule: ") + e->message,
                  {{"file", set.origin}, {"rule", r.id}});
    }
  }
  return fail(ErrorCode::gate_error, "hyperscan compilation did not converge",
              {{"file", set.origin}});
}

}  // namespace kavach::gate::detail
