// Externalization gate: every byte that leaves a sandbox is scanned for secrets and personal data,
// judged (pass / warn / quarantine / block) and redacted.
//
//   Gate      compiled rule set (Hyperscan candidates + RE2 confirmation). Immutable, built once,
//             shared between threads and runs (std::shared_ptr<const Gate>).
//   Session   the outputs of one run judged together: verdict policy, size limits, the secret
//             values the credential layer injected (redacted in every encoding).
//   Scanner   one output stream (stdout, stderr, an exported file). Takes chunks; a secret split
//             across chunks is still found and fully redacted. Not thread-safe itself; scanners of
//             one session may run on different threads.
//
// Findings never contain secret bytes: offsets, rule id and a preview taken from the redacted text.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kavach/error.hpp"
#include "kavach/result.hpp"

namespace kavach::gate {

enum class Severity : std::uint8_t { info, low, medium, high, critical };
// Ordered: a larger value is a worse verdict; a report's verdict is the worst of its findings.
enum class Verdict : std::uint8_t { pass, warn, quarantine, block };

[[nodiscard]] std::string_view to_string(Severity s);
[[nodiscard]] std::string_view to_string(Verdict v);
[[nodiscard]] Result<Severity> parse_severity(std::string_view name);
[[nodiscard]] Result<Verdict> parse_verdict(std::string_view name);

// Rule ids of findings that no rule produced.
inline constexpr std::string_view kRegisteredSecretRule = "registered-secret";
inline constexpr std::string_view kSizeLimitRule = "size-limit";

// Severity -> verdict, with per-rule overrides.
struct VerdictPolicy {
  // Indexed by Severity: info, low, medium, high, critical.
  std::array<Verdict, 5> by_severity{Verdict::pass, Verdict::warn, Verdict::warn,
                                     Verdict::quarantine, Verdict::block};
  std::map<std::string, Verdict, std::less<>> by_rule;  // rule id -> verdict (wins over severity)
  Verdict registered_secret = Verdict::block;           // an injected credential leaked
  // A credential (rule tag "credential", severity medium or above) whose value is not weak or
  // test-looking gets at least this; weak ones keep their severity's verdict (docs/gate.md):
  // shorter than 8 bytes, one character class and shorter than 12, or a test/example marker.
  Verdict credential_floor = Verdict::quarantine;
  Verdict size_limit = Verdict::block;                  // output or exported file over the limit

  [[nodiscard]] Verdict verdict_for(std::string_view rule_id, Severity s) const;
};

struct Limits {
  std::uint64_t max_stream_bytes = 64ull << 20;  // one stream / exported file; the rest is dropped
  std::uint64_t max_total_bytes = 256ull << 20;  // all streams of one session together
};

struct Options {
  VerdictPolicy policy;
  Limits limits;
  unsigned decode_depth = 2;                // layers of base64 / hex / url-encoding looked through
  std::vector<std::string> disabled_rules;  // rule ids
  std::vector<std::string> disabled_tags;   // e.g. "pii" turns off personal-data rules
  // Personal data (rules tagged "pii": e-mail, phone, ...) is reported, not rewritten, unless
  // this is set: `git log` comes back intact; secrets are always redacted.
  bool redact_personal_data = false;
};

struct Finding {
  std::string rule_id;
  Severity severity = Severity::high;
  Verdict verdict = Verdict::block;
  std::string source;       // "stdout", "stderr", a file path
  std::uint64_t begin = 0;  // [begin, end): the redacted bytes, offsets into the original input
  std::uint64_t end = 0;
  std::uint64_t line = 0;   // 1-based line of `begin`
  std::string encoding;     // "" plain, else how it was hidden: "base64", "hex", "url", "base64/url"
  std::string preview;      // redacted context, e.g. `GITHUB_TOKEN=[REDACTED:github-pat]`
  // False: the bytes were released as they are (personal data, Options::redact_personal_data
  // off). In binary output (a NUL byte seen) a rewrite is a mask of the same length, and a
  // credential there is at least quarantine.
  bool rewritten = true;
};

struct Report {
  Verdict verdict = Verdict::pass;
  std::vector<Finding> findings;
  std::uint64_t bytes_scanned = 0;
  bool limit_exceeded = false;  // a size limit cut the input (a size-limit finding says where)
};

[[nodiscard]] nlohmann::json to_json(const Finding& f);
[[nodiscard]] nlohmann::json to_json(const Report& r);

struct RuleInfo {
  std::string id;
  std::string description;
  Severity severity = Severity::high;
  std::vector<std::string> tags;
};

struct LoadInfo {
  std::string origin;          // "builtin" or the rule file
  bool compiled_now = false;   // false: precompiled (builtin) or content-hash cache hit
  double load_ms = 0;
  std::size_t rule_count = 0;
  std::vector<std::string> prefiltered;  // rules Hyperscan approximates (RE2 decides)
  std::filesystem::path cache_file;      // for rule files: the cache entry used or written
};

struct LoadOptions {
  bool use_cache = true;
  // Default: $XDG_CACHE_HOME/kavach, else ~/.cache/kavach.
  std::optional<std::filesystem::path> cache_dir;
};

class Gate {
 public:
  struct Impl;

  // The default rule set, precompiled at build time. One shared instance per process.
  [[nodiscard]] static Result<std::shared_ptr<const Gate>> builtin();
  // A fresh copy of the builtin gate (what builtin() pays once; used by the benchmark).
  [[nodiscard]] static Result<std::shared_ptr<const Gate>> load_builtin();
  // gitleaks-format TOML rules (plus kavach extensions), cached by content hash.
  [[nodiscard]] static Result<std::shared_ptr<const Gate>> from_file(
      const std::filesystem::path& file, const LoadOptions& options = {});
  [[nodiscard]] static Result<std::shared_ptr<const Gate>> from_toml(
      std::string_view text, std::string_view origin = "<string>", const LoadOptions& options = {});

  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  [[nodiscard]] const LoadInfo& load_info() const;
  [[nodiscard]] std::vector<RuleInfo> rules() const;

  // Internal: Impl is only defined inside the library.
  explicit Gate(std::unique_ptr<Impl> impl);
  [[nodiscard]] const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

class Scanner;

class Session {
 public:
  struct Impl;

  explicit Session(std::shared_ptr<const Gate> gate, Options options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Registers a secret value (before the first open()); it is redacted raw and as base64
  // (std/url, any alignment), hex and url-encoded. The name is reported, the value never.
  [[nodiscard]] Result<void> register_secret(std::string_view name, std::string_view value);

  // A scanner for one stream. `source` names it in findings ("stdout", a path); rule `path`
  // filters and path allowlists of gitleaks rule files match against it.
  [[nodiscard]] Result<std::unique_ptr<Scanner>> open(std::string source);

  // Whole-buffer convenience: scans `data` as one stream and returns the redacted bytes.
  [[nodiscard]] Result<std::string> scan(std::string source, std::string_view data);

  // Findings of every finished scanner; verdict = worst.
  [[nodiscard]] Report report() const;

 private:
  friend class Scanner;
  std::shared_ptr<Impl> impl_;
};

class Scanner {
 public:
  struct Impl;

  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Appends the bytes that are final to `out` (redacted). A tail is held back until more input
  // arrives or finish(), so a secret cut by a chunk boundary is still caught.
  [[nodiscard]] Result<void> write(std::string_view chunk, std::string& out);
  // Flushes the rest; the report is complete afterwards and is added to the session.
  [[nodiscard]] Result<void> finish(std::string& out);

  // The stream went quiet (interactive and live output): releases held-back bytes that can no
  // longer become part of something the gate must redact — everything except a pending match
  // waiting for its context, an open encoded run, a trailing run of token characters
  // ([A-Za-z0-9+/=_.~-], how secrets look) and a tail that could begin a registered secret in any
  // of its encodings. A rule match cut by the pause is still found and judged, but its start may
  // have been released (docs/streaming.md).
  [[nodiscard]] Result<void> release_idle(std::string& out);

  [[nodiscard]] const Report& report() const;

 private:
  friend class Session;
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Gates a finished run: stdout and stderr are scanned and replaced by their redacted form.
// The caller decides what a verdict means (block: do not release the outputs).
[[nodiscard]] Result<Report> apply(Session& session, ExecResult& result);

}  // namespace kavach::gate
