#include "gate/encoded_runs.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kavach::gate::detail {
namespace {

// Always computed for every 64-byte block.
struct Masks {
  std::uint64_t b64 = 0;    // [A-Za-z0-9+/_-]
  std::uint64_t pct = 0;    // '%'
  std::uint64_t digit = 0;  // [0-9]
  std::uint64_t dsep = 0;   // ' ' '-' '.': separators inside a digit run
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

Masks classify_sse2(const char* p) {
  Masks m;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + std::ptrdiff_t{16} * k));
    const __m128i digit = in_range(v, '0', '9');
    // OR 0x20 folds upper case onto lower case (and maps nothing else into a-z).
    const __m128i alpha = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
    const __m128i dash = eq(v, '-');
    const __m128i su = _mm_or_si128(_mm_or_si128(eq(v, '+'), eq(v, '/')), _mm_or_si128(dash, eq(v, '_')));
    const int shift = 16 * k;
    m.b64 |= bits(_mm_or_si128(_mm_or_si128(digit, alpha), su)) << shift;
    m.pct |= bits(eq(v, '%')) << shift;
    m.digit |= bits(digit) << shift;
    m.dsep |= bits(_mm_or_si128(_mm_or_si128(eq(v, ' '), dash), eq(v, '.'))) << shift;
  }
  return m;
}

#if defined(__x86_64__)
// Same masks, 32 bytes per step where the CPU has AVX2 (chosen once at start-up).
#define KAVACH_AVX2 __attribute__((target("avx2")))
KAVACH_AVX2 inline __m256i in_range256(__m256i v, char lo, char hi) {
  return _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8(static_cast<char>(lo - 1))),
                          _mm256_cmpgt_epi8(_mm256_set1_epi8(static_cast<char>(hi + 1)), v));
}
KAVACH_AVX2 inline __m256i eq256(__m256i v, char c) { return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)); }
KAVACH_AVX2 inline std::uint64_t bits256(__m256i m) {
  return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(m)));
}

KAVACH_AVX2 Masks classify_avx2(const char* p) {
  Masks m;
  for (int k = 0; k < 2; ++k) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + std::ptrdiff_t{32} * k));
    const __m256i digit = in_range256(v, '0', '9');
    const __m256i alpha = in_range256(_mm256_or_si256(v, _mm256_set1_epi8(0x20)), 'a', 'z');
    const __m256i dash = eq256(v, '-');
    const __m256i su = _mm256_or_si256(_mm256_or_si256(eq256(v, '+'), eq256(v, '/')),
                                       _mm256_or_si256(dash, eq256(v, '_')));
    const int shift = 32 * k;
    m.b64 |= bits256(_mm256_or_si256(_mm256_or_si256(digit, alpha), su)) << shift;
    m.pct |= bits256(eq256(v, '%')) << shift;
    m.digit |= bits256(digit) << shift;
    m.dsep |= bits256(_mm256_or_si256(_mm256_or_si256(eq256(v, ' '), dash), eq256(v, '.'))) << shift;
  }
  return m;
}
#undef KAVACH_AVX2

// The whole 64-byte block in one register where the CPU has AVX-512BW: the compares yield the
// bit masks directly (no movemask), about half the work of the AVX2 path.
#define KAVACH_AVX512 __attribute__((target("avx512f,avx512bw")))
// Unsigned "x - lo <= hi - lo" is the range test. Helpers take the block by pointer: __m512i
// values may not cross non-AVX-512 function boundaries (psABI).
KAVACH_AVX512 inline std::uint64_t in_range512(const __m512i* x, char lo, char hi) {
  return _mm512_cmple_epu8_mask(_mm512_sub_epi8(*x, _mm512_set1_epi8(lo)),
                                _mm512_set1_epi8(static_cast<char>(hi - lo)));
}
KAVACH_AVX512 inline std::uint64_t eq512(const __m512i* x, char c) {
  return _mm512_cmpeq_epi8_mask(*x, _mm512_set1_epi8(c));
}
KAVACH_AVX512 Masks classify_avx512(const char* p) {
  const __m512i v = _mm512_loadu_si512(p);
  const __m512i folded = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
  const std::uint64_t digit = in_range512(&v, '0', '9');
  const std::uint64_t alpha = in_range512(&folded, 'a', 'z');
  const std::uint64_t dash = eq512(&v, '-');
  Masks m;
  m.b64 = digit | alpha | eq512(&v, '+') | eq512(&v, '/') | dash | eq512(&v, '_');
  m.pct = eq512(&v, '%');
  m.digit = digit;
  m.dsep = eq512(&v, ' ') | dash | eq512(&v, '.');
  return m;
}
#undef KAVACH_AVX512

const bool kAvx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
const bool kAvx2 = __builtin_cpu_supports("avx2");
#endif

Masks classify(const char* p) {
#if defined(__x86_64__)
  if (kAvx512) return classify_avx512(p);
  if (kAvx2) return classify_avx2(p);
#endif
  return classify_sse2(p);
}

#else
Masks classify(const char* p) {
  Masks m;
  for (int i = 0; i < 64; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    const std::uint64_t bit = std::uint64_t{1} << i;
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (digit || alpha || c == '+' || c == '/' || c == '-' || c == '_') m.b64 |= bit;
    if (c == '%') m.pct |= bit;
    if (digit) m.digit |= bit;
    if (c == ' ' || c == '-' || c == '.') m.dsep |= bit;
  }
  return m;
}

#endif

// Ends a url-encoded token.
bool url_delim(char c) {
  return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' ||
         c == '`';
}

inline int ctz(std::uint64_t v) { return __builtin_ctzll(v); }
inline std::uint64_t below(int i) { return i >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << i) - 1; }

constexpr bool hex_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// What emit_run needs to know of a run's bytes, as bits: not a hex digit, a standard-base64
// symbol (+ /), a url-safe one (- _).
constexpr unsigned kNotHex = 1;
constexpr unsigned kStdB64 = 2;
constexpr unsigned kUrlB64 = 4;
constexpr std::array<unsigned char, 256> kRunByteClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const auto ch = static_cast<char>(c);
    t[static_cast<std::size_t>(c)] = static_cast<unsigned char>((hex_char(ch) ? 0 : kNotHex) |
                                                                (ch == '+' || ch == '/' ? kStdB64 : 0) |
                                                                (ch == '-' || ch == '_' ? kUrlB64 : 0));
  }
  return t;
}();

constexpr int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return 62;
}

// Encoded ASCII text has a fingerprint: in base64 every 4th character carries the top six bits of
// a text byte (2..3 for tab/newline/CR, 8..31 for printable), in hex every other character is the
// high nibble 0 or 2..7. Runs without it (identifiers, hashes, binary blobs) are not decoded.
// The fingerprints as tables (called for every run of an output: identifiers included).
constexpr std::array<unsigned char, 256> kB64TextTop = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const int v = b64_value(static_cast<char>(c));
    t[static_cast<std::size_t>(c)] = ((v >= 8 && v <= 31) || v == 2 || v == 3) ? 1 : 0;
  }
  return t;
}();
constexpr std::array<unsigned char, 256> kHexTextHigh = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = ((c >= '2' && c <= '7') || c == '0') ? 1 : 0;
  return t;
}();

bool plausible_base64_text(const char* p, std::size_t n) {
  const std::size_t checked = std::min<std::size_t>(16, (n + 3) / 4);
  std::size_t good = 0;
  for (std::size_t k = 0; k < checked; ++k) good += kB64TextTop[static_cast<unsigned char>(p[4 * k])];
  return good * 10 >= checked * 9;
}

bool plausible_hex_text(const char* p, std::size_t n) {
  const std::size_t checked = n >= 2 ? std::min<std::size_t>(16, n / 2) : 0;
  std::size_t good = 0;
  for (std::size_t k = 0; k < checked; ++k) good += kHexTextHigh[static_cast<unsigned char>(p[2 * k])];
  return good * 10 >= checked * 9;
}

}  // namespace

void RunFinder::emit_run(std::uint64_t begin, std::uint64_t end, std::vector<EncodedRun>& out) const {
  const std::uint64_t len = end - begin;
  if (len < kMinHexRun) return;
  const char* p = at_data_ + static_cast<std::ptrdiff_t>(begin - at_);
  const auto n = static_cast<std::size_t>(len);
  // Alignment is relative to the true run start (segments of long runs are aligned).
  const std::size_t lead = static_cast<std::size_t>(begin - run_start_) % 4;
  if (lead != 0) return;  // cannot happen: segments advance by multiples of 4
  const bool may_hex = plausible_hex_text(p, n);
  const bool may_b64 = len >= kMinBase64Run && plausible_base64_text(p, n);
  if (!may_hex && !may_b64) return;
  // One table load and one OR per byte (no branches): this loop sees every byte of every
  // plausible run.
  unsigned seen = 0;
  for (std::size_t i = 0; i < n; ++i) seen |= kRunByteClass[static_cast<unsigned char>(p[i])];
  const bool all_hex = (seen & kNotHex) == 0;
  const bool has_std = (seen & kStdB64) != 0;
  const bool has_url = (seen & kUrlB64) != 0;
  if (all_hex) {
    if (may_hex) out.push_back(EncodedRun{begin, end - (len & 1), Encoding::hex, B64::either});
    return;
  }
  if (may_b64 && !(has_std && has_url)) {
    const B64 a = has_std ? B64::standard : (has_url ? B64::url : B64::either);
    out.push_back(EncodedRun{begin, end, Encoding::base64, a});
  }
}

void RunFinder::close_run(std::uint64_t end, std::vector<EncodedRun>& out) {
  if (run_open_) emit_run(seg_start_, end, out);
  run_open_ = false;
}

void RunFinder::close_digits(std::vector<DigitRun>& digit_runs) {
  if (digit_open_ && digit_count_ >= kMinDigitRun && digit_count_ <= kMaxDigitRun) {
    digit_runs.push_back(DigitRun{digit_start_, digit_end_, digit_count_});
  }
  digit_open_ = false;
  digit_sep_ = false;
}

void RunFinder::digit_block(std::uint64_t digits, std::uint64_t seps, std::uint64_t base,
                            std::vector<DigitRun>& digit_runs) {
  int i = 0;
  if (digit_open_ && digit_sep_) {
    // The previous block ended in a separator: the run goes on only if a digit follows.
    digit_sep_ = false;
    if ((digits & 1) == 0) close_digits(digit_runs);
  }
  while (i < 64) {
    if (!digit_open_) {
      const std::uint64_t d = digits & ~below(i);
      if (d == 0) return;
      i = ctz(d);
      digit_open_ = true;
      digit_start_ = base + static_cast<std::uint64_t>(i);
      digit_count_ = 0;
    }
    const std::uint64_t nd = ~digits & ~below(i);
    const int j = nd != 0 ? ctz(nd) : 64;
    if (j > i) {
      digit_count_ += j - i;
      digit_end_ = base + static_cast<std::uint64_t>(j);
    }
    if (j >= 64) return;  // continues in the next block
    if (((seps >> j) & 1) != 0 && j > i) {
      if (j == 63) {
        digit_sep_ = true;  // decided by the next block's first byte
        return;
      }
      if (((digits >> (j + 1)) & 1) != 0) {
        i = j + 1;
        continue;
      }
    }
    close_digits(digit_runs);
    i = j + 1;
  }
}

void RunFinder::block(const char* p, std::uint64_t base, std::vector<EncodedRun>& out,
                      std::vector<DigitRun>& digit_runs) {
  const Masks mk = classify(p);

  // --- digit runs: walk the block only when it can hold (part of) a run of >= 8 ---
  {
    const std::uint64_t m = mk.digit | (mk.dsep & (mk.digit << 1));
    std::uint64_t a = m & (m >> 1);
    a &= a >> 2;
    a &= a >> 4;
    if (digit_open_ || a != 0 || (m >> 63) != 0) {
      digit_block(mk.digit, mk.dsep, base, digit_runs);
    }
  }

  // --- url tokens: the token (between delimiters) around a '%' ---
  if (token_has_pct_) {
    // Find where the open token ends (scalar: tokens with escapes are rare).
    int i = 0;
    while (i < 64 && !url_delim(p[i])) ++i;
    if (i < 64) {
      out.push_back(EncodedRun{token_start_, base + static_cast<std::uint64_t>(i), Encoding::url,
                               B64::either});
      url_done_ = base + static_cast<std::uint64_t>(i);
      token_has_pct_ = false;
    } else if (base + 64 - token_start_ > kMaxUrlToken) {
      out.push_back(EncodedRun{token_start_, base + 64, Encoding::url, B64::either});
      token_has_pct_ = false;
    }
  }
  for (std::uint64_t pct = mk.pct; pct != 0; pct &= pct - 1) {
    const int q = ctz(pct);
    const std::uint64_t at = base + static_cast<std::uint64_t>(q);
    if (token_has_pct_ || at < url_done_) continue;  // already inside a token
    // Token start: back to the previous delimiter (history before the block is readable).
    std::uint64_t start = at;
    while (start > history_begin_ && at - start < kMaxUrlToken &&
           !url_delim(p[static_cast<std::ptrdiff_t>(start - base) - 1])) {
      --start;
    }
    int i = q + 1;
    while (i < 64 && !url_delim(p[i])) ++i;
    if (i < 64) {
      out.push_back(EncodedRun{start, base + static_cast<std::uint64_t>(i), Encoding::url, B64::either});
      url_done_ = base + static_cast<std::uint64_t>(i);
    } else {
      token_has_pct_ = true;
      token_start_ = start;
    }
  }

  // --- base64 / hex runs: boundaries here, classification when a run is handed out ---
  std::uint64_t m = mk.b64;
  if (run_open_) {
    const std::uint64_t notm = ~m;
    if (notm == 0) {
      if (base + 64 - seg_start_ >= kRunSegment) {
        emit_run(seg_start_, seg_start_ + kRunSegment, out);
        seg_start_ += kRunSegment - kRunOverlap;
      }
      return;
    }
    const int t = ctz(notm);
    close_run(base + static_cast<std::uint64_t>(t), out);
    m &= ~below(t);
  }
  // Bit i of `a`: bytes i..i+15 are all run bytes. Only long runs are visited.
  std::uint64_t a = m & (m >> 1);
  a &= a >> 2;
  a &= a >> 4;
  a &= a >> 8;
  while (a != 0) {
    const int s16 = ctz(a);
    const std::uint64_t gaps = ~m & below(s16);
    const int s = gaps != 0 ? 64 - __builtin_clzll(gaps) : 0;
    const std::uint64_t rest = ~(m >> s);
    const int e = rest == 0 ? 64 : s + ctz(rest);
    if (e >= 64) {
      run_open_ = true;
      run_start_ = seg_start_ = base + static_cast<std::uint64_t>(s);
      return;
    }
    run_start_ = base + static_cast<std::uint64_t>(s);
    emit_run(run_start_, base + static_cast<std::uint64_t>(e), out);
    a &= ~below(e);
  }
  // A short run reaching the end of the block may continue in the next one.
  if ((m >> 63) != 0) {
    const std::uint64_t gaps = ~m;
    const int s = gaps != 0 ? 64 - __builtin_clzll(gaps) : 0;
    run_open_ = true;
    run_start_ = seg_start_ = base + static_cast<std::uint64_t>(s);
  }
}

std::size_t RunFinder::feed(const char* data, std::size_t n, std::uint64_t at, bool final,
                            std::vector<EncodedRun>& out, std::vector<DigitRun>& digit_runs,
                            std::uint64_t history_begin) {
  history_begin_ = history_begin;
  at_data_ = data;
  at_ = at;
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) block(data + i, at + i, out, digit_runs);
  if (final) {
    if (i < n) {
      // Pad the tail with spaces: a delimiter that closes runs and tokens at the end.
      // (the copy keeps 64 bytes of real history in front for url token starts)
      std::array<char, 128> tail;
      tail.fill(' ');
      const std::size_t back = std::min<std::size_t>(i, 64);
      std::memcpy(tail.data() + 64 - back, data + i - back, back + (n - i));
      history_begin_ = std::max<std::uint64_t>(history_begin_, at + i - back);
      block(tail.data() + 64, at + i, out, digit_runs);
      // Anything the padding touched ended at n.
      for (auto& r : out) r.end = std::min<std::uint64_t>(r.end, at + n);
      i = n;
    }
    close_run(at + i, out);
    close_digits(digit_runs);
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
  if (digit_open_) from = std::min(from, digit_start_);
  return from;
}

}  // namespace kavach::gate::detail
