#include "gate/unmask.hpp"

namespace kavach::gate::detail {
namespace {

constexpr unsigned char kEsc = 0x1b;
constexpr unsigned char kBackspace = 0x08;
constexpr std::size_t kMaxCsi = 32;  // longer "sequences" are not escapes: shown as they are

// Zero-width characters in UTF-8.
constexpr std::string_view kZeroWidth[] = {"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0",
                                           "\xef\xbb\xbf"};

bool zero_width_prefix(std::string_view s, bool& complete) {
  complete = false;
  for (auto z : kZeroWidth) {
    if (z.substr(0, s.size()) == s) {
      if (z.size() == s.size()) complete = true;
      return true;
    }
  }
  return false;
}

int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Unmasker::feed(std::string_view in, std::uint64_t base, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) byte(static_cast<unsigned char>(in[i]), base + i, out);
}

void Unmasker::finish(std::string& out) {
  flush_held(out);
  if (pending_) {
    pending_ = false;
    emit(pending_byte_, pending_origin_, out);
  }
}

void Unmasker::byte(unsigned char c, std::uint64_t at, std::string& out) {
  switch (state_) {
    case State::esc:
      if (c == '[') {
        held_ += static_cast<char>(c);
        state_ = State::csi;
        csi_length_ = 0;
        return;
      }
      if (c >= 0x40 && c <= 0x5f) {  // a two-byte escape: gone
        held_.clear();
        state_ = State::plain;
        return;
      }
      flush_held(out);
      break;
    case State::csi:
      if (c >= 0x40 && c <= 0x7e) {  // the final byte: the whole sequence is gone
        held_.clear();
        state_ = State::plain;
        return;
      }
      if (c >= 0x20 && c <= 0x3f && ++csi_length_ <= kMaxCsi) {
        held_ += static_cast<char>(c);
        return;
      }
      flush_held(out);
      break;
    case State::zero_width: {
      held_ += static_cast<char>(c);
      bool complete = false;
      if (zero_width_prefix(held_, complete)) {
        if (complete) {
          held_.clear();
          state_ = State::plain;
        }
        return;
      }
      held_.pop_back();
      flush_held(out);
      break;
    }
    case State::json_escape: {
      held_ += static_cast<char>(c);
      const std::size_t n = held_.size();  // "\u00XX": 6 bytes
      const bool ok = (n == 2 && c == 'u') || ((n == 3 || n == 4) && c == '0') ||
                      (n == 5 && hex_value(c) >= 0 && hex_value(c) < 8) || (n == 6 && hex_value(c) >= 0);
      if (!ok) {
        held_.pop_back();
        flush_held(out);
        break;
      }
      if (n == 6) {
        const auto v = static_cast<unsigned char>(hex_value(static_cast<unsigned char>(held_[4])) * 16 +
                                                  hex_value(static_cast<unsigned char>(held_[5])));
        const std::uint64_t begin = held_begin_;
        held_.clear();
        state_ = State::plain;
        plain(v, begin, at + 1, out);
      }
      return;
    }
    case State::plain:
      break;
  }
  // Plain state (or a sequence that was not one, flushed above): this byte starts afresh.
  if (c == kEsc || c == '\\' || c == 0xe2 || c == 0xef) {
    held_.assign(1, static_cast<char>(c));
    held_begin_ = at;
    state_ = c == kEsc ? State::esc : c == '\\' ? State::json_escape : State::zero_width;
    return;
  }
  if (c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == ':') {
    after_gap_ = true;
    return;
  }
  if (c == kBackspace) {
    if (after_gap_) return;  // it strikes a byte the view dropped anyway ("x\b" over a space)
    if (pending_) {  // strike out the byte before: the next one stands for both
      pending_ = false;
      struck_ = true;
      struck_begin_ = pending_origin_.begin;
    }
    return;
  }
  plain(c, at, at + 1, out);
}

void Unmasker::plain(unsigned char c, std::uint64_t begin, std::uint64_t end, std::string& out) {
  after_gap_ = false;
  if (pending_) emit(pending_byte_, pending_origin_, out);
  if (struck_) {
    begin = struck_begin_;
    struck_ = false;
  }
  pending_ = true;
  pending_byte_ = c;
  pending_origin_ = Origin{begin, end};
}

void Unmasker::emit(unsigned char c, Origin o, std::string& out) {
  out += static_cast<char>(c);
  origins_.push_back(o);
}

void Unmasker::flush_held(std::string& out) {
  // Shown as they are: each byte plain, without looking for sequences again.
  const std::string held = std::move(held_);
  held_.clear();
  state_ = State::plain;
  for (std::size_t i = 0; i < held.size(); ++i) {
    const std::uint64_t at = held_begin_ + i;
    plain(static_cast<unsigned char>(held[i]), at, at + 1, out);
  }
}

bool Unmasker::original_span(std::uint64_t from, std::uint64_t to, std::uint64_t& begin, std::uint64_t& end) const {
  if (from < first_ || to <= from || to - first_ > origins_.size()) return false;
  begin = origins_[from - first_].begin;
  end = origins_[to - 1 - first_].end;
  return true;
}

void Unmasker::trim(std::size_t keep) {
  while (origins_.size() > keep) {
    origins_.pop_front();
    ++first_;
  }
}

}  // namespace kavach::gate::detail
