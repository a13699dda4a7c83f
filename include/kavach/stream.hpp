// Live I/O for one run: stdin forwarded as a stream, output handed over while the command
// writes it, and an optional terminal (a PTY of the sandbox's own devpts). Backends deliver the
// raw bytes; the Sandbox puts the externalization gate in between (docs/streaming.md), so what a
// caller receives through Sandbox::exec is always scanned and redacted.
#pragma once

#include <cstdint>
#include <string_view>

namespace kavach {

class EnforcementReport;
namespace gate {
struct Finding;
}

enum class OutputStream : std::uint8_t { stdout_stream, stderr_stream };
[[nodiscard]] std::string_view to_string(OutputStream s);  // "stdout", "stderr"

// Receives a run's output while it runs, on the thread that supervises the run.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  // The command was started with these controls in force (before its first output). Backends that
  // confirm some controls only after the run (cgroup read-backs) say so in the final result.
  virtual void on_started(const EnforcementReport& /*controls*/) {}
  // Bytes the command wrote, in order within each stream. Return false to stop the run: its
  // whole process tree is killed and the result says the consumer stopped it.
  virtual bool on_output(OutputStream stream, std::string_view bytes) = 0;
  // Polled while the command runs, output or not (sessions: about every 200 ms): false stops the
  // run like on_output returning false (a consumer that went away).
  virtual bool still_wanted() { return true; }
  // The command wrote nothing for `idle_ms()`; bytes held back (the gate's window) may go out.
  virtual void on_idle() {}
  [[nodiscard]] virtual unsigned idle_ms() const { return 50; }
  // The gate found a secret in a stream: it is redacted in what is released; a quarantine or
  // block verdict also stops the release from here on (Sandbox::exec; backends never call it).
  virtual void on_finding(const gate::Finding& /*finding*/) {}
  // A stream reached the output limit (limits.output_bytes): nothing more of it is released or
  // kept; the command runs on. Called once per stream.
  virtual void on_truncated(OutputStream /*stream*/, std::uint64_t /*limit_bytes*/) {}
  // The run is over and no more output follows (called once, also after a stop).
  virtual void on_end() {}
};

struct TerminalSize {
  std::uint16_t rows = 24;
  std::uint16_t cols = 80;
};

// A pseudo terminal for the command: its stdin, stdout and stderr are the slave of a PTY made in
// the sandbox's own devpts, it is the controlling terminal of the command's session, and the
// master is relayed through kavach (stdout carries the terminal's output; stderr stays empty).
struct TerminalRequest {
  TerminalSize size;
  // When readable, the caller's window size changed: kavach drains it and reads the new size
  // with TIOCGWINSZ from `size_source_fd` (both optional, -1 = none; kavach closes neither).
  int resize_fd = -1;
  int size_source_fd = -1;
};

}  // namespace kavach
