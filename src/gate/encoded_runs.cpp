#include "gate/encoded_runs.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kavach::gate::detail {
namespace {

struct Masks {
  std::uint64_t b64 = 0;    // [A-Za-z0-9+/_-]
  std::uint64_t hex = 0;    // [0-9A-Fa-f]
  std::uint64_t std = 0;    // '+' '/'
  std::uint64_t url = 0;    // '-' '_'
  std::uint64_t delim = 0;  // bytes <= ' ', quotes, <, >, backtick: end a url token
  std::uint64_t pct = 0;    // '%'
};

#if defined(__SSE2__)
inline __m128i in_range(__m128i v, char lo, char hi) {
  return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
}
inline __m128i eq(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
inline std::uint64_t bits(__m128i m) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(m)) & 0xffffu);
}

Masks classify(const char* p) {
  Masks m;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
    const __m128i digit = in_range(v, '0', '9');
    const __m128i alpha = _mm_or_si128(in_range(v, 'A', 'Z'), in_range(v, 'a', 'z'));
    const __m128i hexl = _mm_or_si128(in_range(v, 'A', 'F'), in_range(v, 'a', 'f'));
    const __m128i s = _mm_or_si128(eq(v, '+'), eq(v, '/'));
    const __m128i u = _mm_or_si128(eq(v, '-'), eq(v, '_'));
    // Signed compare: control bytes and space (0x00-0x20) are delimiters, bytes >= 0x80 are not.
    const __m128i ws = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-1)),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x21)));
    const __m128i quote = _mm_or_si128(_mm_or_si128(eq(v, '"'), eq(v, '\'')),
                                       _mm_or_si128(_mm_or_si128(eq(v, '<'), eq(v, '>')), eq(v, '`')));
    const int shift = 16 * k;
    m.b64 |= bits(_mm_or_si128(_mm_or_si128(digit, alpha), _mm_or_si128(s, u))) << shift;
    m.hex |= bits(_mm_or_si128(digit, hexl)) << shift;
    m.std |= bits(s) << shift;
    m.url |= bits(u) << shift;
    m.delim |= bits(_mm_or_si128(ws, quote)) << shift;
    m.pct |= bits(eq(v, '%')) << shift;
  }
  return m;
}
#else
Masks classify(const char* p) {
  Masks m;
  for (int i = 0; i < 64; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    const std::uint64_t bit = std::uint64_t{1} << i;
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    const bool hexl = (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
    const bool s = c == '+' || c == '/';
    const bool u = c == '-' || c == '_';
    if (digit || alpha || s || u) m.b64 |= bit;
    if (digit || hexl) m.hex |= bit;
    if (s) m.std |= bit;
    if (u) m.url |= bit;
    if (c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`') m.delim |= bit;
    if (c == '%') m.pct |= bit;
  }
  return m;
}
#endif

inline int ctz(std::uint64_t v) { return __builtin_ctzll(v); }
inline int clz(std::uint64_t v) { return __builtin_clzll(v); }
inline std::uint64_t below(int i) { return i >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << i) - 1; }

}  // namespace

void RunFinder::emit_run(std::uint64_t begin, std::uint64_t end, std::vector<EncodedRun>& out) const {
  const std::uint64_t len = end - begin;
  if (all_hex_ && len >= kMinHexRun) {
    // Hex pairs are aligned to the true run start.
    std::uint64_t b = begin + ((begin - run_start_) & 1);
    std::uint64_t e = end - ((end - b) & 1);
    if (e > b) out.push_back(EncodedRun{b, e, Encoding::hex, B64::either});
    return;
  }
  if (!all_hex_ && len >= kMinBase64Run && !(has_std_ && has_url_)) {
    const B64 a = has_std_ ? B64::standard : (has_url_ ? B64::url : B64::either);
    out.push_back(EncodedRun{begin, end, Encoding::base64, a});
  }
}

void RunFinder::close_run(std::uint64_t end, std::vector<EncodedRun>& out) {
  if (run_open_) emit_run(seg_start_, end, out);
  run_open_ = false;
}

void RunFinder::block(const char* p, std::uint64_t base, std::vector<EncodedRun>& out) {
  const Masks mk = classify(p);

  // --- url tokens: a token (between delimiters) that holds a '%' ---
  if (mk.pct != 0 || token_has_pct_) {
    std::uint64_t pct = mk.pct;
    std::uint64_t delim = mk.delim;
    int i = 0;
    while (i < 64) {
      // Next event: a delimiter (closes a token) or a '%' (marks the current token).
      const std::uint64_t d = delim & ~below(i);
      const std::uint64_t q = pct & ~below(i);
      const int di = d != 0 ? ctz(d) : 64;
      const int qi = q != 0 ? ctz(q) : 64;
      if (qi < di) {
        if (!token_has_pct_) {
          const std::uint64_t dl = delim & below(qi);
          token_start_ = dl != 0 ? base + static_cast<std::uint64_t>(64 - clz(dl)) : last_delim_end_;
          token_has_pct_ = true;
        }
        i = qi + 1;
        continue;
      }
      if (di == 64) break;
      if (token_has_pct_) {
        out.push_back(EncodedRun{token_start_, base + static_cast<std::uint64_t>(di), Encoding::url,
                                 B64::either});
        token_has_pct_ = false;
      }
      i = di + 1;
    }
    if (token_has_pct_ && base + 64 - token_start_ > kMaxUrlToken) {
      out.push_back(EncodedRun{token_start_, base + 64, Encoding::url, B64::either});
      token_has_pct_ = false;
    }
  }
  if (mk.delim != 0) last_delim_end_ = base + static_cast<std::uint64_t>(64 - clz(mk.delim));

  // --- base64 / hex runs ---
  std::uint64_t m = mk.b64;
  if (run_open_) {
    const std::uint64_t notm = ~m;
    if (notm == 0) {
      all_hex_ = all_hex_ && mk.hex == ~std::uint64_t{0};
      has_std_ = has_std_ || mk.std != 0;
      has_url_ = has_url_ || mk.url != 0;
      if (base + 64 - seg_start_ >= kRunSegment) {
        emit_run(seg_start_, seg_start_ + kRunSegment, out);
        seg_start_ += kRunSegment - kRunOverlap;
      }
      return;
    }
    const int t = ctz(notm);
    const std::uint64_t in = below(t);
    all_hex_ = all_hex_ && (mk.hex & in) == in;
    has_std_ = has_std_ || (mk.std & in) != 0;
    has_url_ = has_url_ || (mk.url & in) != 0;
    close_run(base + static_cast<std::uint64_t>(t), out);
    m &= ~in;
  }
  // Fast skip: no run of >= 16 inside the block and none reaching its end.
  std::uint64_t a = m & (m >> 1);
  a &= a >> 2;
  a &= a >> 4;
  a &= a >> 8;
  if (a == 0 && (m >> 63) == 0) return;
  while (m != 0) {
    const int s = ctz(m);
    const std::uint64_t rest = ~(m >> s);
    const int len = rest == 0 ? 64 - s : ctz(rest);
    const int e = s + len;
    const std::uint64_t in = below(e) & ~below(s);
    all_hex_ = (mk.hex & in) == in;
    has_std_ = (mk.std & in) != 0;
    has_url_ = (mk.url & in) != 0;
    if (e >= 64) {
      run_open_ = true;
      run_start_ = seg_start_ = base + static_cast<std::uint64_t>(s);
      return;
    }
    if (static_cast<std::size_t>(len) >= kMinHexRun) {
      run_start_ = base + static_cast<std::uint64_t>(s);
      emit_run(run_start_, base + static_cast<std::uint64_t>(e), out);
    }
    m &= ~below(e);
  }
}

std::size_t RunFinder::feed(const char* data, std::size_t n, std::uint64_t at, bool final,
                            std::vector<EncodedRun>& out) {
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) block(data + i, at + i, out);
  if (final) {
    if (i < n) {
      // Pad the tail with spaces: a delimiter that closes runs and tokens at the end.
      std::array<char, 64> tail;
      tail.fill(' ');
      std::memcpy(tail.data(), data + i, n - i);
      block(tail.data(), at + i, out);
      // Anything the padding touched ended at n.
      for (auto& r : out) r.end = std::min<std::uint64_t>(r.end, at + n);
      i = n;
    }
    close_run(at + i, out);
    if (token_has_pct_) {
      out.push_back(EncodedRun{token_start_, at + n, Encoding::url, B64::either});
      token_has_pct_ = false;
    }
  }
  return i;
}

std::uint64_t RunFinder::open_from() const {
  std::uint64_t from = UINT64_MAX;
  if (run_open_) from = seg_start_;
  if (token_has_pct_) from = std::min(from, token_start_);
  return from;
}

}  // namespace kavach::gate::detail
