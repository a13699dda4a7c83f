#include "sandbox/stream_gate.hpp"

#include <algorithm>

namespace kavach {

StreamGate::StreamGate(gate::Session& session, OutputSink* downstream, StreamGateOptions options)
    : session_(session), downstream_(downstream), options_(options) {}

Result<void> StreamGate::open() {
  for (OutputStream s : {OutputStream::stdout_stream, OutputStream::stderr_stream}) {
    auto scanner = session_.open(std::string(to_string(s)));
    if (!scanner) return tl::unexpected(scanner.error());
    state(s).scanner = std::move(*scanner);
  }
  return {};
}

unsigned StreamGate::idle_ms() const { return downstream_ != nullptr ? downstream_->idle_ms() : 50; }

std::uint64_t StreamGate::released_bytes() const {
  return streams_[0].released + streams_[1].released;
}

void StreamGate::fail(const Error& e) {
  // Fail closed: a scanner that failed releases nothing more, and the run stops.
  if (!error_) error_ = e;
  withholding_ = true;
  stop_run_ = true;
}

void StreamGate::pass_on(OutputStream s, const std::string& redacted) {
  if (redacted.empty()) return;
  Stream& st = state(s);
  // The output limit means one thing live and buffered: the first keep_bytes of each stream,
  // kept for the result and released to the consumer; the rest is still scanned, never shown.
  const std::uint64_t room = options_.keep_bytes > st.kept.size() ? options_.keep_bytes - st.kept.size() : 0;
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(room, redacted.size()));
  st.kept.append(redacted, 0, take);
  if (redacted.size() > take && !st.kept_truncated) {
    st.kept_truncated = true;
    if (downstream_ != nullptr) downstream_->on_truncated(s, options_.keep_bytes);
  }
  if (withholding_ || downstream_ == nullptr || take == 0) return;
  st.released += take;
  if (!downstream_->on_output(s, std::string_view(redacted).substr(0, take))) stop_run_ = true;
}

bool StreamGate::judge() {
  for (Stream& st : streams_) {
    if (!st.scanner || downstream_ == nullptr) continue;
    const auto& findings = st.scanner->report().findings;
    for (; st.findings_told < findings.size(); ++st.findings_told) downstream_->on_finding(findings[st.findings_told]);
  }
  if (!options_.enforce_verdict) return !stop_run_;
  gate::Verdict worst = gate::Verdict::pass;
  for (const Stream& st : streams_) {
    if (st.scanner) worst = std::max(worst, st.scanner->report().verdict);
  }
  if (worst >= gate::Verdict::quarantine) withholding_ = true;
  if (worst == gate::Verdict::block && options_.kill_on_block) stop_run_ = true;
  return !stop_run_;
}

bool StreamGate::on_output(OutputStream s, std::string_view bytes) {
  Stream& st = state(s);
  if (error_ || !st.scanner) return false;
  std::string redacted;
  if (auto w = st.scanner->write(bytes, redacted); !w) {
    fail(w.error());
    return false;
  }
  // Judge before passing on: the finding that made this chunk's verdict is redacted in it, but
  // a quarantine/block stops the release from this chunk on.
  const bool go_on = judge();
  pass_on(s, redacted);
  return go_on && !stop_run_;
}

bool StreamGate::still_wanted() { return downstream_ == nullptr || downstream_->still_wanted(); }

void StreamGate::on_idle() {
  if (error_) return;
  for (OutputStream s : {OutputStream::stdout_stream, OutputStream::stderr_stream}) {
    Stream& st = state(s);
    if (!st.scanner) continue;
    std::string redacted;
    if (auto r = st.scanner->release_idle(redacted); !r) {
      fail(r.error());
      return;
    }
    judge();
    pass_on(s, redacted);
  }
}

void StreamGate::on_end() {
  if (!error_) {
    for (OutputStream s : {OutputStream::stdout_stream, OutputStream::stderr_stream}) {
      Stream& st = state(s);
      if (!st.scanner) continue;
      std::string redacted;
      if (auto f = st.scanner->finish(redacted); !f) {
        fail(f.error());
        break;
      }
      judge();
      pass_on(s, redacted);
    }
  }
  if (downstream_ != nullptr) downstream_->on_end();
}

}  // namespace kavach
