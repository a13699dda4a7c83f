#include "kavach/result.hpp"
#include "kavach/stream.hpp"

namespace kavach {

std::string_view to_string(OutputStream s) {
  return s == OutputStream::stdout_stream ? "stdout" : "stderr";
}

int ExecResult::shell_status() const {
  // Mirrors the shell: the exit code, or 128+signal when a signal ended the command. A run that
  // never started reports 127-style failure via the CLI's own error codes instead.
  if (exit_code) return *exit_code;
  if (signal) return 128 + *signal;
  return 1;
}

}  // namespace kavach
