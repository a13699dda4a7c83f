#include "gate/pattern_translate.hpp"
#include "core/hex.hpp"

namespace kavach::gate::detail {
namespace {

void append_hex(std::string& out, unsigned char b) {
  out += "\\x";
  append_hex_byte(out, b);
}

bool octal(char c) { return c >= '0' && c <= '7'; }

}  // namespace

std::string escape_literal(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_') {
      out.push_back(c);
    } else {
      append_hex(out, b);
    }
  }
  return out;
}

Translated translate_go_regex(std::string_view go) {
  Translated t;
  std::string& out = t.pattern;
  out.reserve(go.size() + 8);
  bool in_class = false;
  for (std::size_t i = 0; i < go.size(); ++i) {
    const char c = go[i];
    if (c == '\\' && i + 1 < go.size()) {
      const char n = go[i + 1];
      if (n == 'Q') {
        const auto end = go.find("\\E", i + 2);
        const std::string_view lit =
            go.substr(i + 2, end == std::string_view::npos ? std::string_view::npos : end - i - 2);
        for (char l : lit) append_hex(out, static_cast<unsigned char>(l));
        i = end == std::string_view::npos ? go.size() : end + 1;
        continue;
      }
      if (n == 'p' || n == 'P') {
        // Unicode class: in byte mode the best superset is "any non-ASCII byte or alnum".
        std::size_t skip = 2;
        if (i + 2 < go.size() && go[i + 2] == '{') {
          const auto close = go.find('}', i + 2);
          skip = close == std::string_view::npos ? go.size() - i : close - i + 1;
        } else {
          skip = 3;
        }
        // \pX widens to "non-ASCII byte or word char"; a negated \PX to any byte.
        if (n == 'p') {
          out += in_class ? "\\x80-\\xff\\w" : "[\\x80-\\xff\\w]";
        } else {
          out += in_class ? "\\x00-\\xff" : "[\\x00-\\xff]";
        }
        t.approximate = true;
        i += skip - 1;
        continue;
      }
      if (octal(n) && n != '0' && i + 2 < go.size() && octal(go[i + 2])) {
        // Go octal escape \NNN (never a back-reference in Go).
        unsigned v = 0;
        std::size_t j = i + 1;
        for (int k = 0; k < 3 && j < go.size() && octal(go[j]); ++k, ++j) {
          v = v * 8 + static_cast<unsigned>(go[j] - '0');
        }
        append_hex(out, static_cast<unsigned char>(v & 0xff));
        i = j - 1;
        continue;
      }
      out.push_back(c);
      out.push_back(n);
      ++i;
      continue;
    }
    if (in_class) {
      if (c == '[' && i + 1 < go.size() && go[i + 1] == ':') {
        const auto close = go.find(":]", i + 2);
        if (close != std::string_view::npos) {
          out.append(go.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
      }
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      in_class = true;
      out.push_back(c);
      // A leading ']' (or '^]') is a literal inside the class.
      if (i + 1 < go.size() && go[i + 1] == '^') {
        out.push_back('^');
        ++i;
      }
      if (i + 1 < go.size() && go[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == '(' && i + 2 < go.size() && go[i + 1] == '?') {
      // Flag groups: drop U (ungreedy), keep i, m, s.
      std::size_t j = i + 2;
      std::string flags;
      while (j < go.size() && go[j] != ')' && go[j] != ':') {
        if (go[j] != 'U') flags.push_back(go[j]);
        ++j;
      }
      const bool is_flag_group = j < go.size() && flags.find_first_not_of("imsx-") == std::string::npos;
      if (is_flag_group) {
        if (flags.empty() || flags == "-") {
          if (go[j] == ':') out += "(?:";
          // "(?U)" alone: nothing to emit.
        } else {
          out += "(?" + flags;
          out.push_back(go[j]);
        }
        i = j;
        continue;
      }
    }
    out.push_back(c);
  }
  return t;
}

}  // namespace kavach::gate::detail
