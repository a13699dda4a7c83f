// The unmasked view of an output stream, for registered secrets: what a terminal or a JSON
// decoder would show once the disguises between characters are gone. Removed: ANSI escape
// sequences (CSI `ESC [ ... final`, two-byte `ESC x`), zero-width characters (U+200B..U+200D,
// U+2060, U+FEFF), carriage returns, line feeds, spaces, tabs and colons (how base64 is wrapped
// and hex is grouped by `base64`, `od`, `xxd -p`, `openssl`), and the overstruck character of a
// backspace overstrike (`x\bx` bold, `_\bx` underline); JSON `\u00XX` escapes of ASCII become
// their byte. A value with spaces or colons is searched for here without them (secrets.hpp).
// Each byte of the view remembers the original bytes it stands for, so a match found in the view
// redacts the whole disguised stretch of the original. Streaming: state carries across chunks.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace kavach::gate::detail {

class Unmasker {
 public:
  // Appends the view of `in` (original offsets from `base` on) to `out`.
  void feed(std::string_view in, std::uint64_t base, std::string& out);
  // End of input: whatever was held for a decision is emitted as it is.
  void finish(std::string& out);

  // Original [begin, end) of view bytes [from, to) (absolute view offsets still kept).
  [[nodiscard]] bool original_span(std::uint64_t from, std::uint64_t to, std::uint64_t& begin,
                                   std::uint64_t& end) const;
  // Forget all but the last `keep` view bytes' origins.
  void trim(std::size_t keep);

 private:
  struct Origin {
    std::uint64_t begin;
    std::uint64_t end;
  };
  enum class State : std::uint8_t { plain, esc, csi, zero_width, json_escape };

  void byte(unsigned char c, std::uint64_t at, std::string& out);
  void plain(unsigned char c, std::uint64_t begin, std::uint64_t end, std::string& out);
  void emit(unsigned char c, Origin o, std::string& out);
  void flush_held(std::string& out);  // a started sequence that turned out not to be one

  State state_ = State::plain;
  std::string held_;              // bytes of a sequence being recognised
  std::uint64_t held_begin_ = 0;  // its original offset
  std::size_t csi_length_ = 0;
  // One byte of delay, so a following backspace can strike it out.
  bool pending_ = false;
  unsigned char pending_byte_ = 0;
  Origin pending_origin_{0, 0};
  bool after_gap_ = false;  // the last byte was one the view drops (space, line break...)
  bool struck_ = false;  // a backspace struck the previous byte: the next one starts at struck_begin_
  std::uint64_t struck_begin_ = 0;

  std::deque<Origin> origins_;  // of view bytes [first_, first_ + origins_.size())
  std::uint64_t first_ = 0;
};

}  // namespace kavach::gate::detail
