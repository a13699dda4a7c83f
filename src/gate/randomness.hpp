// Is a candidate value a secret or just a string that looks like one?
#pragma once

#include <string_view>

namespace kavach::gate::detail {

// Shannon entropy in bits per byte (gitleaks' `entropy` threshold uses this).
[[nodiscard]] double shannon_entropy(std::string_view s);

// The randomness test for generic secrets: entropy relative to what a random string of the same
// length and alphabet reaches, plus structure that entropy alone misses: dictionary-like
// segments (identifiers, phrases), runs, keyboard/alphabet sequences and repeated periods.
[[nodiscard]] bool looks_random(std::string_view s);

// "xxxx", "your-key-here", "EXAMPLE", "${TOKEN}", "<secret>", "changeme", one repeated byte...
[[nodiscard]] bool is_placeholder(std::string_view s);

// A literal password as people choose them: 8..64 bytes, three of four character classes, no
// spaces or template syntax, not a dotted identifier, no long keyboard/alphabet sequence.
[[nodiscard]] bool password_like(std::string_view s);
// A value assigned to a credential key that is a literal credential of any strength: not a
// keyword (null, true, required...), a reference (ALL_CAPS_NAME, a dotted or camelCase
// identifier, a call), a path or URL, or a short number. For a password key (LiteralKind::
// password) a word without digits is kept: people choose words as passwords, while under
// token / key names a bare word is nearly always a name or a stand-in.
enum class LiteralKind { secret, password };
[[nodiscard]] bool literal_secret_like(std::string_view s, LiteralKind kind = LiteralKind::secret);
// A credential value too weak or test-like to quarantine output for (VerdictPolicy::
// credential_floor): under 8 bytes, one character class and under 12, or a test marker.
[[nodiscard]] bool weak_or_test_value(std::string_view s);

}  // namespace kavach::gate::detail
