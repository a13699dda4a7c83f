// Emission: copies the input to the output up to a safe point, replacing each cluster of
// overlapping secret spans by one marker, and records one finding per marker.
#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gate/randomness.hpp"
#include "core/hex.hpp"
#include "gate/session_impl.hpp"

namespace kavach::gate {
namespace {

using detail::Span;

constexpr std::size_t kPreviewContext = 40;
constexpr std::size_t kRecentKeep = 128;

// Newlines in [p, p + n): line numbers of findings. 16 bytes per step.
std::uint64_t count_newlines(const char* p, std::size_t n) {
  std::uint64_t count = 0;
  std::size_t i = 0;
#if defined(__SSE2__)
  // Byte counters (cmpeq yields -1, subtracting adds 1), folded with SAD before they overflow.
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  while (i + 16 <= n) {
    __m128i acc = zero;
    for (int k = 0; k < 255 && i + 16 <= n; ++k, i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, nl));
    }
    const __m128i sums = _mm_sad_epu8(acc, zero);
    count += static_cast<std::uint64_t>(_mm_cvtsi128_si64(sums)) +
             static_cast<std::uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; i < n; ++i) count += p[i] == '\n' ? 1 : 0;
  return count;
}

bool b64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '-' || c == '_';
}

std::string escape_preview(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      out.push_back(c);
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      append_hex_byte(out, b);
    }
  }
  return out;
}

}  // namespace

void Scanner::Impl::add_finding(std::uint64_t begin, std::uint64_t end, const Span& primary,
                                std::string preview, bool rewritten) {
  Finding f;
  f.rewritten = rewritten;
  const VerdictPolicy& pol = session->options.policy;
  if (primary.rule == detail::kRegisteredIndex) {
    f.rule_id = std::string(kRegisteredSecretRule);
    f.severity = Severity::critical;
    const auto it = pol.by_rule.find(kRegisteredSecretRule);
    f.verdict = it != pol.by_rule.end() ? it->second : pol.registered_secret;
  } else {
    const auto& r = gate.rules.rules[primary.rule];
    f.rule_id = r.id;
    f.severity = r.severity;
    f.verdict = pol.verdict_for(r.id, r.severity);
    // A real credential is held back, not just redacted; weak or test-looking values keep the
    // severity's verdict. A per-rule override (by_rule) is taken as it is.
    const bool credential = std::find(r.tags.begin(), r.tags.end(), "credential") != r.tags.end();
    if (credential && r.severity >= Severity::medium && pol.by_rule.find(r.id) == pol.by_rule.end() &&
        begin >= base && end <= total && !detail::weak_or_test_value(std::string_view(buf).substr(
                                                 static_cast<std::size_t>(begin - base),
                                                 static_cast<std::size_t>(end - begin)))) {
      f.verdict = std::max(f.verdict, pol.credential_floor);
    }
  }
  f.source = filter.source;
  f.begin = begin;
  f.end = end;
  f.line = line;
  f.encoding = primary.encoding;
  f.preview = std::move(preview);
  // A credential in binary output was only masked: it is held back for review.
  if (binary && rewritten && !is_personal_data(primary)) f.verdict = std::max(f.verdict, Verdict::quarantine);
  report.verdict = std::max(report.verdict, f.verdict);
  report.findings.push_back(std::move(f));
}

bool Scanner::Impl::is_personal_data(const Span& s) const {
  if (s.rule == detail::kRegisteredIndex) return false;
  const auto& tags = gate.rules.rules[s.rule].tags;
  return std::find(tags.begin(), tags.end(), "pii") != tags.end();
}

void Scanner::Impl::add_size_finding() {
  Finding f;
  const VerdictPolicy& pol = session->options.policy;
  f.rule_id = std::string(kSizeLimitRule);
  f.severity = Severity::high;
  const auto it = pol.by_rule.find(kSizeLimitRule);
  f.verdict = it != pol.by_rule.end() ? it->second : pol.size_limit;
  f.source = filter.source;
  f.begin = emitted;
  f.end = cut_at + dropped;
  f.line = line;
  f.preview = "size limit: " + std::to_string(emitted) + " bytes released, " +
              std::to_string(cut_at + dropped - emitted) + " withheld (limits: stream " +
              std::to_string(session->options.limits.max_stream_bytes) + ", total " +
              std::to_string(session->options.limits.max_total_bytes) + ")";
  report.verdict = std::max(report.verdict, f.verdict);
  report.findings.push_back(std::move(f));
}

void Scanner::Impl::emit(std::uint64_t safe, std::string& out) {
  std::uint64_t pos = emitted;
  auto copy = [&](std::uint64_t a, std::uint64_t b) {
    if (b <= a) return;
    const char* p = buf.data() + (a - base);
    const auto n = static_cast<std::size_t>(b - a);
    out.append(p, n);
    line += count_newlines(p, n);
    if (n >= kRecentKeep) {
      recent.assign(p + n - kRecentKeep, kRecentKeep);
    } else {
      recent.append(p, n);
      if (recent.size() > kRecentKeep) recent.erase(0, recent.size() - kRecentKeep);
    }
  };
  auto better = [&](const Span& a, const Span& b) {  // is a a better primary than b?
    auto sev = [&](const Span& s) {
      return s.rule == detail::kRegisteredIndex ? 5 : static_cast<int>(gate.rules.rules[s.rule].severity);
    };
    if (sev(a) != sev(b)) return sev(a) > sev(b);
    auto generic = [&](const Span& s) {
      return s.rule != detail::kRegisteredIndex &&
             gate.rules.rules[s.rule].id.starts_with("generic");
    };
    if (generic(a) != generic(b)) return !generic(a);
    return a.rule < b.rule;  // the rule file's order breaks ties: the same finding every run
  };

  if (!spans.empty()) {
    // Base64 cores of registered secrets: the partial characters on each side belong to them.
    for (auto& s : spans) {
      if (!s.extend) continue;
      s.extend = false;
      if (s.begin > base && s.begin > emitted && b64_char(buf[s.begin - 1 - base])) --s.begin;
      if (s.end < total && b64_char(buf[s.end - base])) ++s.end;
      for (int k = 0; k < 2 && s.end < total && buf[s.end - base] == '='; ++k) ++s.end;
    }
    std::sort(spans.begin(), spans.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
  }
  std::size_t i = 0;
  while (i < spans.size() && spans[i].begin < safe) {
    std::uint64_t cb = spans[i].begin;
    std::uint64_t ce = spans[i].end;
    std::size_t primary = i;
    std::size_t j = i + 1;
    for (; j < spans.size() && spans[j].begin < ce; ++j) {
      ce = std::max(ce, spans[j].end);
      if (better(spans[j], spans[primary])) primary = j;
    }
    // A cluster that runs past `safe` is emitted whole (its bytes are all here).
    safe = std::max(safe, ce);
    cb = std::max(cb, pos);
    const Span& p = spans[primary];
    const std::string marker = p.rule == detail::kRegisteredIndex
                                   ? session->secret_markers[p.secret]
                                   : "[REDACTED:" + gate.rules.rules[p.rule].id + "]";
    if (ce > pos) {
      copy(pos, cb);
      std::string_view ctx(recent);
      const auto nl = ctx.rfind('\n');
      if (nl != std::string_view::npos) ctx.remove_prefix(nl + 1);
      if (ctx.size() > kPreviewContext) ctx.remove_prefix(ctx.size() - kPreviewContext);
      std::string preview = escape_preview(ctx) + marker;
      // Personal data only: reported, kept as it is (unless the session redacts personal data).
      // Binary output (a NUL byte was seen): masked at the same length, so nothing shifts.
      bool personal_only = !session->options.redact_personal_data;
      for (std::size_t k = i; k < j && personal_only; ++k) personal_only = is_personal_data(spans[k]);
      const std::uint64_t finding_line = line;
      if (personal_only) {
        copy(cb, ce);
        preview += " (personal data: reported, not rewritten)";
      } else {
        // The span's own line breaks still count (findings after a multi-line key keep their line).
        line += count_newlines(buf.data() + (cb - base), static_cast<std::size_t>(ce - cb));
        const std::string& mask = binary ? std::string(static_cast<std::size_t>(ce - cb), '*') : marker;
        if (binary) preview += " (binary output: masked at the same length)";
        out += mask;
        recent += marker;
        if (recent.size() > kRecentKeep) recent.erase(0, recent.size() - kRecentKeep);
      }
      const std::uint64_t after = line;
      line = finding_line;
      add_finding(cb, ce, p, std::move(preview), !personal_only);
      line = after;
      pos = ce;
    } else {
      // Confirmed only after its bytes left (cannot happen within the hold-back window; kept
      // so that the verdict still counts it).
      add_finding(spans[i].begin, spans[i].end, p, marker + " (already released)", false);
    }
    i = j;
  }
  spans.erase(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(i));
  copy(pos, safe);
  emitted = std::max(pos, safe);
}

}  // namespace kavach::gate
