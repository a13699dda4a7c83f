// Streaming scan: Hyperscan over each chunk (stream mode, so matches spanning chunks are seen),
// RE2 confirmation once a hit has its right context, decode-through of finished runs, then
// emission of every byte that no future match can still cover.
#include <algorithm>
#include <climits>
#include <cstring>

#include "gate/session_impl.hpp"
#include "gate/validators.hpp"

namespace kavach::gate {
namespace {

using detail::Hit;
using detail::PatternRef;
using detail::Span;

// Bytes kept before the emitted position: left context for anchors and word boundaries.
constexpr std::uint64_t kLeftContext = 256;
// A window that keeps growing (a huge run matched at every byte) is confirmed in pieces.
constexpr std::uint64_t kMaxPendingWindow = 256 * 1024;
// Merged RE2 windows are cut at this size.
constexpr std::uint64_t kMaxMergedWindow = 1024 * 1024;

struct SecretCtx {
  const detail::SecretSet* set;
  std::vector<Span>* spans;
  std::string encoding;
};

int on_secret(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
              void* ctx) {
  auto* c = static_cast<SecretCtx*>(ctx);
  const auto& v = c->set->variants()[id];
  c->spans->push_back(detail::registered_secret_span(to, v.bytes.size(), v.secret, c->encoding, v.encoding,
                                                     v.base64_core));
  return 0;
}

// A match in the unmasked view: the original stretch it stands for. One as long as the variant is
// the plain occurrence, which the raw matcher reports already.
struct UnmaskCtx {
  const detail::SecretSet* set;
  const detail::Unmasker* unmask;
  std::vector<Span>* spans;
};

int on_unmasked_secret(unsigned id, unsigned long long /*from*/, unsigned long long to, unsigned /*flags*/,
                       void* ctx) {
  auto* c = static_cast<UnmaskCtx*>(ctx);
  const auto& v = c->set->variants()[id];
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  if (!c->unmask->original_span(to - v.bytes.size(), to, begin, end) || end - begin == v.bytes.size()) return 0;
  Span s = detail::registered_secret_span(end, end - begin, v.secret, "unmasked", v.encoding, false);
  c->spans->push_back(std::move(s));
  return 0;
}

}  // namespace

Scanner::Impl::Impl(std::shared_ptr<Session::Impl> s, std::string source)
    : session(std::move(s)), gate(session->gate->impl()), hits(gate.patterns) {
  filter = detail::make_source_filter(gate, std::move(source), session->enabled);
  report.verdict = Verdict::pass;
}

Scanner::Impl::~Impl() {
  for (hs_stream_t* st : {rules_stream, rules_spare, secret_stream, secret_spare, unmask_stream}) {
    if (st != nullptr) hs_close_stream(st, nullptr, nullptr, nullptr);
  }
}

Result<void> Scanner::Impl::open() {
  hs_scratch_t* s = nullptr;
  if (hs_clone_scratch(gate.scratch_prototype.get(), &s) != HS_SUCCESS) {
    return fail(ErrorCode::gate_error, "cannot allocate Hyperscan scratch");
  }
  // One scratch serves both databases (hs_alloc_scratch grows it in place or replaces it).
  const hs_database_t* secrets = session->secrets.db();
  const bool grown = secrets == nullptr || hs_alloc_scratch(secrets, &s) == HS_SUCCESS;
  scratch.reset(s);
  if (!grown) return fail(ErrorCode::gate_error, "cannot allocate Hyperscan scratch for secrets");
  if (hs_open_stream(gate.db.get(), 0, &rules_stream) != HS_SUCCESS ||
      hs_open_stream(gate.db.get(), 0, &rules_spare) != HS_SUCCESS) {
    return fail(ErrorCode::gate_error, "cannot open a Hyperscan stream");
  }
  if (secrets != nullptr && (hs_open_stream(secrets, 0, &secret_stream) != HS_SUCCESS ||
                             hs_open_stream(secrets, 0, &secret_spare) != HS_SUCCESS ||
                             hs_open_stream(secrets, 0, &unmask_stream) != HS_SUCCESS)) {
    return fail(ErrorCode::gate_error, "cannot open a Hyperscan stream for secrets");
  }
  hold = gate.hold;
  for (const auto& v : session->secrets.variants()) {
    hold = std::max<std::uint32_t>(hold, static_cast<std::uint32_t>(v.bytes.size()) + 8);
    longest_variant = std::max(longest_variant, v.bytes.size());
  }
  if (unmask_stream != nullptr) {
    hold = std::max<std::uint32_t>(hold, static_cast<std::uint32_t>(longest_variant * detail::kUnmaskSpanFactor));
  }
  // A rule that judges the source by its name alone (gitleaks `path` without `regex`).
  for (std::uint32_t i = 0; i < gate.rules.rules.size(); ++i) {
    if (gate.rules.rules[i].regex.empty() && filter.active[i] != 0) {
      whole_source_rule = i;
      break;
    }
  }
  return {};
}

Result<void> Scanner::Impl::failed(std::string why) {
  if (error.empty()) error = std::move(why);
  // Fail closed: nothing more is released, and the verdict says so.
  report.verdict = Verdict::block;
  return fail(ErrorCode::gate_error, "gate scan failed: " + error, {{"source", filter.source}});
}

Result<void> Scanner::Impl::write(std::string_view chunk, std::string& out) {
  if (!error.empty()) return failed(error);
  if (finished) {
    return fail(ErrorCode::invalid_argument, "write after finish", {{"source", filter.source}});
  }
  if (limit_hit) {
    dropped += chunk.size();
    return {};
  }
  // Size limits: per stream and per session. The part beyond is refused, never released.
  const Limits& lim = session->options.limits;
  std::uint64_t allowed = chunk.size();
  if (total + allowed > lim.max_stream_bytes) allowed = lim.max_stream_bytes - std::min(total, lim.max_stream_bytes);
  std::uint64_t used = session->total_bytes.load();
  for (;;) {
    const std::uint64_t room = lim.max_total_bytes - std::min(used, lim.max_total_bytes);
    const std::uint64_t take = std::min(allowed, room);
    if (session->total_bytes.compare_exchange_weak(used, used + take)) {
      allowed = take;
      break;
    }
  }
  if (allowed < chunk.size()) {
    limit_hit = true;
    cut_at = total + allowed;
    dropped = chunk.size() - allowed;
  }
  chunk = chunk.substr(0, allowed);

  if (whole_source_rule != UINT32_MAX) {
    total += chunk.size();  // judged by name: content is withheld, not scanned
    return {};
  }
  while (!chunk.empty()) {
    const std::size_t n = std::min<std::size_t>(chunk.size(), 1u << 30);
    const std::string_view piece = chunk.substr(0, n);
    chunk.remove_prefix(n);
    buf.append(piece);
    total += n;
    if (!binary && std::memchr(piece.data(), 0, piece.size()) != nullptr) binary = true;
    if (hs_scan_stream(rules_stream, piece.data(), static_cast<unsigned>(n), 0, scratch.get(),
                       detail::HitCollector::on_match, &hits) != HS_SUCCESS) {
      return failed("hyperscan scan error");
    }
    if (secret_stream != nullptr) {
      SecretCtx ctx{&session->secrets, &spans, ""};
      if (hs_scan_stream(secret_stream, piece.data(), static_cast<unsigned>(n), 0, scratch.get(),
                         on_secret, &ctx) != HS_SUCCESS) {
        return failed("hyperscan scan error (secrets)");
      }
    }
    if (unmask_stream != nullptr) {
      unmasked.clear();
      unmask.feed(piece, total - n, unmasked);
      if (!scan_unmasked()) return failed("hyperscan scan error (unmasked secrets)");
    }
    if (!process(false, out)) return failed(error.empty() ? "confirm stage failed" : error);
  }
  return {};
}

bool Scanner::Impl::scan_unmasked() {
  UnmaskCtx ctx{&session->secrets, &unmask, &spans};
  if (!unmasked.empty() && hs_scan_stream(unmask_stream, unmasked.data(), static_cast<unsigned>(unmasked.size()), 0,
                                          scratch.get(), on_unmasked_secret, &ctx) != HS_SUCCESS) {
    return false;
  }
  unmask.trim(longest_variant + 1);
  return true;
}

Result<void> Scanner::Impl::finish(std::string& out) {
  if (!error.empty()) return failed(error);
  if (finished) return {};
  finished = true;
  if (limit_hit && whole_source_rule == UINT32_MAX) {
    // Cut by a size limit: the held-back tail stays withheld -- it may be the beginning of a
    // secret whose end was refused, so it cannot be judged.
    add_size_finding();
    report.bytes_scanned = total;
    report.limit_exceeded = true;
    return {};
  }
  if (whole_source_rule != UINT32_MAX) {
    const auto& r = gate.rules.rules[whole_source_rule];
    const std::string marker = "[REDACTED:" + r.id + "]";
    out += marker;
    Span s;
    s.rule = whole_source_rule;
    add_finding(0, total, s, marker, true);
    emitted = total;
  } else {
    if (hs_close_stream(rules_stream, scratch.get(), detail::HitCollector::on_match, &hits) !=
        HS_SUCCESS) {
      rules_stream = nullptr;
      return failed("hyperscan close error");
    }
    rules_stream = nullptr;
    if (secret_stream != nullptr) {
      SecretCtx ctx{&session->secrets, &spans, ""};
      const hs_error_t rc = hs_close_stream(secret_stream, scratch.get(), on_secret, &ctx);
      secret_stream = nullptr;
      if (rc != HS_SUCCESS) return failed("hyperscan close error (secrets)");
    }
    if (unmask_stream != nullptr) {
      unmasked.clear();
      unmask.finish(unmasked);
      if (!scan_unmasked()) return failed("hyperscan scan error (unmasked secrets)");
      UnmaskCtx ctx{&session->secrets, &unmask, &spans};
      const hs_error_t rc = hs_close_stream(unmask_stream, scratch.get(), on_unmasked_secret, &ctx);
      unmask_stream = nullptr;
      if (rc != HS_SUCCESS) return failed("hyperscan close error (unmasked secrets)");
    }
    if (!process(true, out)) return failed(error.empty() ? "confirm stage failed" : error);
  }
  if (limit_hit) add_size_finding();
  report.bytes_scanned = total;
  report.limit_exceeded = limit_hit;
  return {};
}

bool Scanner::Impl::confirm_hits(std::vector<Hit>& batch, std::string_view text, std::uint64_t tbase,
                                 bool /*final_text*/, const std::string& encoding,
                                 std::vector<Span>& out) {
  const auto& pats = gate.patterns;
  std::sort(batch.begin(), batch.end(), [&](const Hit& a, const Hit& b) {
    const auto ra = pats[a.pattern].rule;
    const auto rb = pats[b.pattern].rule;
    return ra != rb ? ra < rb : a.first < b.first;
  });
  const std::uint64_t tend = tbase + text.size();
  std::size_t i = 0;
  while (i < batch.size()) {
    const std::uint32_t rule = pats[batch[i].pattern].rule;
    if (rule == UINT32_MAX || rule >= filter.active.size() || filter.active[rule] == 0) {
      ++i;
      continue;
    }
    auto window_of = [&](const Hit& h) {
      const PatternRef& p = pats[h.pattern];
      const std::uint64_t from = h.first > tbase + p.left ? h.first - p.left : tbase;
      const std::uint64_t to = std::min(tend, h.last + p.right);
      return std::pair{from, to};
    };
    // (plain variables, not a structured binding: the lambda below captures them)
    const auto first_window = window_of(batch[i]);
    std::uint64_t from = first_window.first;
    std::uint64_t to = first_window.second;
    std::size_t j = i + 1;
    auto flush = [&]() {
      std::string why;
      if (!detail::confirm_window(gate, filter, rule, text, from - tbase, to - tbase, tbase,
                                  encoding, out, &why)) {
        error = why;
        return false;
      }
      return true;
    };
    for (; j < batch.size() && pats[batch[j].pattern].rule == rule; ++j) {
      const auto [f2, t2] = window_of(batch[j]);
      if (f2 <= to && t2 - from <= kMaxMergedWindow) {
        to = std::max(to, t2);
        continue;
      }
      if (!flush()) return false;
      from = f2;
      to = t2;
    }
    if (!flush()) return false;
    i = j;
  }
  return true;
}

void Scanner::Impl::dispatch_digit_runs(const std::vector<detail::DigitRun>& found,
                                        std::string_view text, std::uint64_t tbase,
                                        detail::HitCollector& into) const {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (const auto& d : found) {
    for (const std::uint32_t pid : gate.digit_patterns) {
      const auto& r = gate.rules.rules[gate.patterns[pid].rule];
      if (d.digits < r.digit_min || d.digits > r.digit_max) continue;
      if (r.digit_after_letters) {
        // [A-Z]{2}[0-9]{2} starting at most 36 bytes before the run (IBAN country + check).
        const std::uint64_t b = d.begin - tbase;
        bool found_prefix = false;
        for (std::uint64_t p = b > 36 ? b - 36 : 0; p + 4 <= b + 2 && p + 4 <= text.size(); ++p) {
          if (upper(text[p]) && upper(text[p + 1]) && digit(text[p + 2]) && digit(text[p + 3])) {
            found_prefix = true;
            break;
          }
        }
        if (!found_prefix) continue;
      }
      if (r.digit_exact) {
        const std::string_view run = text.substr(static_cast<std::size_t>(d.begin - tbase),
                                                 static_cast<std::size_t>(d.end - d.begin));
        if (!std::all_of(r.validators.begin(), r.validators.end(),
                         [&](detail::Validator v) { return detail::validate(v, run); })) {
          continue;
        }
      }
      // Window [begin - context, end + context].
      const std::uint64_t first = std::min(d.end, d.begin + detail::kDigitRunLeft - detail::kDigitRunContext);
      into.add_range(pid, first, d.end);
    }
  }
}

bool Scanner::Impl::process(bool final, std::string& out) {
  // 0. The run scanner: digit runs (candidates for digitRun rules) and encoded runs.
  {
    digit_runs.clear();
    const std::size_t consumed =
        runs.feed(buf.data() + (runs_pos - base), static_cast<std::size_t>(total - runs_pos),
                  runs_pos, final, encoded, digit_runs, base);
    runs_pos += consumed;
    // Runs an idle release already checked (they ended before it): not again.
    if (idle_checked_to > 0) {
      std::erase_if(digit_runs, [&](const detail::DigitRun& d) { return d.end <= idle_checked_to; });
      std::erase_if(encoded, [&](const detail::EncodedRun& e) { return e.end <= idle_checked_to; });
    }
    if (!digit_runs.empty()) dispatch_digit_runs(digit_runs, std::string_view(buf), base, hits);
  }

  // 1. Confirm hits whose right context has arrived (all of them at the end of the stream).
  auto& all = hits.hits();
  ready.clear();
  std::size_t keep = 0;
  for (auto& h : all) {
    const PatternRef& p = gate.patterns[h.pattern];
    if (final || h.last + p.right + 1 <= total) {
      ready.push_back(h);
    } else if (h.last - h.first > kMaxPendingWindow) {
      // Confirm what we have; the rest of the window stays pending.
      ready.push_back(h);
      h.first = h.last;
      all[keep++] = h;
    } else {
      all[keep++] = h;
    }
  }
  all.resize(keep);
  hits.reindex();
  if (!ready.empty() &&
      !confirm_hits(ready, std::string_view(buf), base, final, std::string(), spans)) {
    return false;
  }

  // 2. Decode-through: runs and tokens that are complete.
  if (session->options.decode_depth > 0) {
    for (const auto& r : encoded) {
      if (!decode_run(r, std::string_view(buf), base, 1, std::string(), spans)) return false;
    }
  }
  encoded.clear();

  // 3. Emit what no future match can reach.
  std::uint64_t safe = final ? total : (total > hold ? total - hold : 0);
  if (!final) {
    safe = std::min({safe, runs.open_from(), runs_pos});
    for (const auto& h : all) {
      const std::uint64_t left = gate.patterns[h.pattern].left;
      safe = std::min(safe, h.first > left ? h.first - left : 0);
    }
  }
  safe = std::max(safe, emitted);
  emit(safe, out);
  trim();
  return true;
}

namespace {

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == '_' || c == '.' || c == '~' || c == '-';
}

// The longest suffix of `text` that is a proper prefix of `value`.
std::size_t prefix_overlap(std::string_view text, std::string_view value) {
  for (std::size_t n = std::min(text.size(), value.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == value.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

Result<void> Scanner::Impl::release_idle(std::string& out) {
  if (!error.empty()) return failed(error);
  if (finished || limit_hit || whole_source_rule != UINT32_MAX) return {};
  // The run finder consumes whole 64-byte blocks: the encoded and digit runs of the rest are
  // found now on a copy of it and checked at once (decode-through, digit-run rules), and marked
  // done so the real pass does not report them again.
  if (runs_pos < total) {
    detail::RunFinder peek = runs;
    std::vector<detail::EncodedRun> enc;
    std::vector<detail::DigitRun> digits;
    (void)peek.feed(buf.data() + (runs_pos - base), static_cast<std::size_t>(total - runs_pos), runs_pos,
                    true, enc, digits, base);
    if (!digits.empty()) {
      detail::HitCollector found(gate.patterns);
      dispatch_digit_runs(digits, std::string_view(buf), base, found);
      if (!found.hits().empty() &&
          !confirm_hits(found.hits(), std::string_view(buf), base, true, std::string(), spans)) {
        return failed(error.empty() ? "confirm stage failed" : error);
      }
    }
    if (session->options.decode_depth > 0) {
      for (const auto& r : enc) {
        if (!decode_run(r, std::string_view(buf), base, 1, std::string(), spans)) {
          return failed(error.empty() ? "decode stage failed" : error);
        }
      }
    }
    idle_checked_to = total;
  }
  std::uint64_t safe = total;
  for (const auto& h : hits.hits()) {
    const std::uint64_t left = gate.patterns[h.pattern].left;
    safe = std::min(safe, h.first > left ? h.first - left : 0);
  }
  const std::string_view held(buf.data() + (emitted - base), static_cast<std::size_t>(total - emitted));
  std::size_t keep = 0;
  while (keep < held.size() && token_char(held[held.size() - 1 - keep])) ++keep;
  for (const auto& v : session->secrets.variants()) keep = std::max(keep, prefix_overlap(held, v.bytes));
  safe = std::min<std::uint64_t>(safe, total - keep);
  if (safe <= emitted) return {};
  emit(safe, out);
  trim();
  return {};
}

void Scanner::Impl::trim() {
  std::uint64_t keep_from = emitted > kLeftContext ? emitted - kLeftContext : 0;
  keep_from = std::min({keep_from, runs.open_from(), runs_pos});
  for (const auto& h : hits.hits()) {
    const std::uint64_t left = gate.patterns[h.pattern].left + kLeftContext;
    keep_from = std::min(keep_from, h.first > left ? h.first - left : 0);
  }
  for (const auto& s : spans) keep_from = std::min(keep_from, s.begin > 8 ? s.begin - 8 : 0);
  if (keep_from <= base) return;
  const std::uint64_t drop = keep_from - base;
  // Amortized: move the tail only when the dead prefix is large.
  if (drop >= (1u << 20) || (drop >= (64u << 10) && drop * 2 >= buf.size())) {
    buf.erase(0, static_cast<std::size_t>(drop));
    base = keep_from;
  }
}

// ---- public Scanner ----

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scanner::~Scanner() = default;

Result<void> Scanner::write(std::string_view chunk, std::string& out) {
  return impl_->write(chunk, out);
}

Result<void> Scanner::release_idle(std::string& out) { return impl_->release_idle(out); }

Result<void> Scanner::finish(std::string& out) {
  const bool was_finished = impl_->finished;
  auto r = impl_->finish(out);
  if (!was_finished) {
    std::lock_guard lock(impl_->session->mu);
    Report& agg = impl_->session->report;
    for (const auto& f : impl_->report.findings) agg.findings.push_back(f);
    agg.bytes_scanned += impl_->report.bytes_scanned;
    agg.limit_exceeded = agg.limit_exceeded || impl_->report.limit_exceeded;
    agg.verdict = std::max(agg.verdict, impl_->report.verdict);
  }
  return r;
}

const Report& Scanner::report() const { return impl_->report; }

}  // namespace kavach::gate
