// One place for how RE2 runs in the gate, so loader, confirmer and allowlists agree.
#pragma once

#include <re2/re2.h>

namespace kavach::gate::detail {

// Latin-1: one byte is one character, exactly as Hyperscan (compiled without HS_FLAG_UTF8) sees
// the input, so both stages agree on widths and invalid UTF-8 in hostile output cannot confuse
// either. `.` does not match newline, `$` is end of text: Go's (gitleaks') defaults.
[[nodiscard]] inline RE2::Options confirm_regex_options() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingLatin1);
  o.set_log_errors(false);
  o.set_max_mem(32 << 20);
  return o;
}

}  // namespace kavach::gate::detail
