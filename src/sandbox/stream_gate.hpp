// The externalization gate inside a live stream: the Sandbox puts this sink between the backend
// (raw bytes) and the caller's sink. Every chunk is scanned and redacted before it is passed on;
// the scanner holds back a window so a secret cut across writes is still caught, and releases
// that window when the stream goes quiet only where nothing can still grow into a secret
// (gate::Scanner::release_idle). The first finding whose verdict is quarantine or worse stops the
// release at once (the rest is withheld, the redacted output is still kept for the report); a
// block verdict also stops the command unless the configuration keeps it running.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kavach/error.hpp"
#include "kavach/gate.hpp"
#include "kavach/stream.hpp"

namespace kavach {

struct StreamGateOptions {
  bool enforce_verdict = true;  // false: the gate's rules are off (registered secrets still redacted)
  bool kill_on_block = true;
  std::uint64_t keep_bytes = 1u << 20;  // redacted output kept (and released) per stream
};

class StreamGate final : public OutputSink {
 public:
  StreamGate(gate::Session& session, OutputSink* downstream, StreamGateOptions options);
  [[nodiscard]] Result<void> open();

  bool on_output(OutputStream stream, std::string_view bytes) override;
  void on_idle() override;
  bool still_wanted() override;
  [[nodiscard]] unsigned idle_ms() const override;
  void on_end() override;

  // After the run: the redacted output (bounded), what of it was released, and why release stopped.
  [[nodiscard]] std::string take_kept(OutputStream s) { return std::move(state(s).kept); }
  [[nodiscard]] bool kept_truncated(OutputStream s) { return state(s).kept_truncated; }
  [[nodiscard]] std::uint64_t released_bytes() const;
  [[nodiscard]] bool withholding() const { return withholding_; }
  [[nodiscard]] const std::optional<Error>& error() const { return error_; }

 private:
  struct Stream {
    std::unique_ptr<gate::Scanner> scanner;
    std::string kept;
    bool kept_truncated = false;
    std::uint64_t released = 0;
    std::size_t findings_told = 0;  // findings already passed on to the downstream sink
  };
  Stream& state(OutputStream s) { return streams_[static_cast<std::size_t>(s)]; }
  // Passes redacted bytes on (unless release stopped) and keeps them for the result.
  void pass_on(OutputStream s, const std::string& redacted);
  // Tells the downstream sink the findings it has not seen, then stops the release when a
  // finding so far calls for it; false when the run must stop.
  bool judge();
  void fail(const Error& e);

  gate::Session& session_;
  OutputSink* downstream_;
  StreamGateOptions options_;
  std::array<Stream, 2> streams_;
  bool withholding_ = false;
  bool stop_run_ = false;
  std::optional<Error> error_;
};

}  // namespace kavach
