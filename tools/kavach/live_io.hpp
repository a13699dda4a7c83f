// `kavach run`'s live I/O: where the command's stdin comes from (--stdin), how its output
// reaches this terminal while it runs (text, or JSON-lines events with --json-lines), and the
// caller's side of a terminal run (-t): raw mode, window size, SIGWINCH.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <string>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"
#include "kavach/gate.hpp"
#include "kavach/json.hpp"

namespace kavach::cli {

// --stdin: "-" (this process's stdin), "none" (/dev/null), a file, or "auto" (the default: this
// process's stdin unless it is a terminal and no -t was asked for — keystrokes meant for the shell
// are not swallowed by a command that never reads them).
struct StdinSource {
  int fd = -1;          // -1: none
  bool owned = false;   // opened here (a file), closed by the destructor
  StdinSource() = default;
  StdinSource(const StdinSource&) = delete;
  StdinSource& operator=(const StdinSource&) = delete;
  ~StdinSource();
};
[[nodiscard]] Result<void> open_stdin(const std::string& spec, bool terminal, StdinSource& out);

// Writes chunks to this process's stdout / stderr as they come.
// A stream that reaches the output limit gets a note on stderr at that moment.
class TerminalSink final : public OutputSink {
 public:
  bool on_output(OutputStream s, std::string_view bytes) override;
  void on_truncated(OutputStream s, std::uint64_t limit_bytes) override;
};

// One JSON object per line on stdout: {"event":"stdout"|"stderr","data":...} (or "data_b64"
// when the bytes are not valid UTF-8), "finding" (the gate's, as in --json), "truncated" (a
// stream reached the output limit); the caller adds the "started" and "exit" events.
class EventSink final : public OutputSink {
 public:
  bool on_output(OutputStream s, std::string_view bytes) override;
  void on_finding(const gate::Finding& f) override;
  void on_truncated(OutputStream s, std::uint64_t limit_bytes) override;
  static void emit(const nlohmann::json& event);
};

// The caller's terminal in raw mode for the duration of a -t run (restored on destruction), and
// a SIGWINCH self-pipe for the window size.
class CallerTerminal {
 public:
  CallerTerminal() = default;
  CallerTerminal(const CallerTerminal&) = delete;
  CallerTerminal& operator=(const CallerTerminal&) = delete;
  ~CallerTerminal();
  // Raw mode on fd 0 when it is a terminal; the request for Command::terminal.
  [[nodiscard]] Result<TerminalRequest> start();

 private:
  std::optional<termios> saved_;
  int pipe_[2] = {-1, -1};
};

}  // namespace kavach::cli
