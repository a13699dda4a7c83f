// Finds what decode-through should look at: runs of base64 / hex characters and tokens with
// %XX escapes. Works in 64-byte blocks with SIMD character-class masks so that ordinary text
// (short words) is skipped at memory speed; state carries over between stream chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gate/codec.hpp"

namespace kavach::gate::detail {

struct EncodedRun {
  std::uint64_t begin = 0;  // offsets in the caller's coordinates
  std::uint64_t end = 0;
  Encoding encoding = Encoding::base64;
  B64 alphabet = B64::either;
};

// A run of digits with single ' ', '-' or '.' separators ("4111 1111 1111 1111", "123.456.789-09").
struct DigitRun {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  int digits = 0;
};

inline constexpr int kMinDigitRun = 9;   // shortest run reported (digitRun minimum)
inline constexpr int kMaxDigitRun = 64;  // longer runs are numbers, not identifiers

inline constexpr std::size_t kMinHexRun = 16;      // 8 decoded bytes
inline constexpr std::size_t kMinBase64Run = 20;   // 15 decoded bytes
inline constexpr std::size_t kRunSegment = std::size_t{64} * 1024;  // long runs are decoded in segments ...
inline constexpr std::size_t kRunOverlap = std::size_t{4} * 1024;    // ... that overlap by this much
inline constexpr std::size_t kMaxUrlToken = std::size_t{8} * 1024;

class RunFinder {
 public:
  // Consumes data[0, n) which starts at offset `at` (contiguous with earlier calls). Without
  // `final` only whole 64-byte blocks are consumed; returns the bytes consumed.
  // Bytes before `data` down to offset `history_begin` are readable (url token starts).
  std::size_t feed(const char* data, std::size_t n, std::uint64_t at, bool final,
                   std::vector<EncodedRun>& out, std::vector<DigitRun>& digit_runs,
                   std::uint64_t history_begin);
  // Lowest offset an unfinished run or token may start at (output before it is safe), or
  // UINT64_MAX when nothing is open.
  [[nodiscard]] std::uint64_t open_from() const;

 private:
  void block(const char* p, std::uint64_t base, std::vector<EncodedRun>& out,
             std::vector<DigitRun>& digit_runs);
  void digit_block(std::uint64_t digits, std::uint64_t seps, std::uint64_t base,
                   std::vector<DigitRun>& digit_runs);
  void close_digits(std::vector<DigitRun>& digit_runs);
  void close_run(std::uint64_t end, std::vector<EncodedRun>& out);
  void emit_run(std::uint64_t begin, std::uint64_t end, std::vector<EncodedRun>& out) const;

  bool run_open_ = false;
  std::uint64_t run_start_ = 0;  // true start (alignment reference)
  std::uint64_t seg_start_ = 0;  // start of the part not yet handed out
  const char* at_data_ = nullptr;  // feed()'s data: offset `at_` (earlier offsets are readable
  std::uint64_t at_ = 0;           // back to history_begin_, the whole run always is)

  bool digit_open_ = false;
  bool digit_sep_ = false;  // the previous byte was a separator inside the run
  std::uint64_t digit_start_ = 0;
  std::uint64_t digit_end_ = 0;  // just after the last digit
  int digit_count_ = 0;

  std::uint64_t history_begin_ = 0;
  std::uint64_t url_done_ = 0;  // end of the last url token handed out
  bool token_has_pct_ = false;
  std::uint64_t token_start_ = 0;
};

}  // namespace kavach::gate::detail
