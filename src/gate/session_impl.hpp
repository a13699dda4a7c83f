// Session and Scanner internals shared by scanner.cpp, decode_through.cpp, emit.cpp and
// session.cpp.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gate/confirm.hpp"
#include "gate/encoded_runs.hpp"
#include "gate/gate_impl.hpp"
#include "gate/hit_collector.hpp"
#include "gate/unmask.hpp"
#include "gate/secrets.hpp"
#include "kavach/gate.hpp"

namespace kavach::gate {

struct Session::Impl {
  std::shared_ptr<const Gate> gate;
  Options options;
  std::vector<std::uint8_t> enabled;  // per rule, after disabled_rules / disabled_tags
  detail::SecretSet secrets;
  std::vector<std::string> secret_markers;  // "[REDACTED:registered-secret:NAME]"
  bool frozen = false;                      // first scanner opened: secrets are fixed
  std::atomic<std::uint64_t> total_bytes{0};
  mutable std::mutex mu;                    // guards `report`, `secrets` before freezing
  Report report;
};

struct Scanner::Impl {
  Impl(std::shared_ptr<Session::Impl> session, std::string source);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  [[nodiscard]] Result<void> open();
  [[nodiscard]] Result<void> write(std::string_view chunk, std::string& out);
  [[nodiscard]] Result<void> finish(std::string& out);
  [[nodiscard]] Result<void> release_idle(std::string& out);

  // scanner.cpp
  [[nodiscard]] bool process(bool final, std::string& out);
  [[nodiscard]] bool confirm_hits(std::vector<detail::Hit>& batch, std::string_view text, std::uint64_t base,
                                  bool final_text, const std::string& encoding,
                                  std::vector<detail::Span>& spans);
  void trim();
  [[nodiscard]] Result<void> failed(std::string why);

  // Digit runs become hits of the digit_run pseudo-patterns whose digit range fits.
  void dispatch_digit_runs(const std::vector<detail::DigitRun>& found, std::string_view text,
                           std::uint64_t tbase, detail::HitCollector& into) const;

  // decode_through.cpp
  [[nodiscard]] bool decode_run(const detail::EncodedRun& run, std::string_view text,
                                std::uint64_t base, unsigned depth, const std::string& path,
                                std::vector<detail::Span>& spans);
  [[nodiscard]] bool scan_block(std::string_view data, unsigned depth, const std::string& path,
                                std::vector<detail::Span>& spans);

  bool scan_unmasked();  // the registered secrets over `unmasked`

  // emit.cpp
  void emit(std::uint64_t safe, std::string& out);
  void add_finding(std::uint64_t begin, std::uint64_t end, const detail::Span& primary,
                   std::string preview, bool rewritten);
  [[nodiscard]] bool is_personal_data(const detail::Span& s) const;
  void add_size_finding();

  std::shared_ptr<Session::Impl> session;
  const Gate::Impl& gate;
  detail::SourceFilter filter;
  Report report;
  std::string error;  // set once the scanner failed closed
  std::uint32_t hold = 0;  // bytes held back: the longest possible match plus context

  detail::HsScratch scratch;
  hs_stream_t* rules_stream = nullptr;   // the output stream
  hs_stream_t* rules_spare = nullptr;    // decoded buffers
  hs_stream_t* secret_stream = nullptr;
  hs_stream_t* secret_spare = nullptr;
  hs_stream_t* unmask_stream = nullptr;   // registered secrets in the unmasked view (unmask.hpp)
  detail::Unmasker unmask;
  std::string unmasked;  // scratch: one chunk's unmasked view
  std::size_t longest_variant = 0;

  std::string buf;          // retained input, buf[0] is stream offset `base`
  std::uint64_t base = 0;
  std::uint64_t total = 0;  // bytes accepted so far (stream offset of buf.end())
  std::uint64_t emitted = 0;
  detail::HitCollector hits;  // rule hits waiting for right context
  std::vector<detail::Span> spans;  // confirmed, not yet emitted
  detail::RunFinder runs;
  std::uint64_t runs_pos = 0;
  std::vector<detail::EncodedRun> encoded;
  std::vector<detail::DigitRun> digit_runs;  // scratch, reused per process()
  std::vector<detail::Hit> ready;            // scratch, reused per process()
  std::uint64_t idle_checked_to = 0;  // runs ending before this were checked by release_idle

  std::uint64_t line = 1;
  std::string recent;       // tail of the redacted output (for previews)
  bool finished = false;
  bool binary = false;  // a NUL byte was seen: from then on nothing is rewritten (emit.cpp)
  bool limit_hit = false;
  std::uint64_t cut_at = 0;   // where a size limit cut the input
  std::uint64_t dropped = 0;  // bytes refused after the cut
  std::uint32_t whole_source_rule = UINT32_MAX;  // a path-only rule matched the source name
};

}  // namespace kavach::gate
