#include "kavach/result.hpp"
#include "kavach/stream.hpp"

#include <string>

namespace kavach {

std::string_view to_string(OutputStream s) {
  return s == OutputStream::stdout_stream ? "stdout" : "stderr";
}

std::string_view to_string(FinalStatus s) {
  switch (s) {
    case FinalStatus::exited_ok: return "exited_ok";
    case FinalStatus::exited_nonzero: return "exited_nonzero";
    case FinalStatus::signaled: return "signaled";
    case FinalStatus::timed_out: return "timed_out";
    case FinalStatus::memory_limit: return "memory_limit";
    case FinalStatus::cpu_limit: return "cpu_limit";
    case FinalStatus::pids_limit: return "pids_limit";
    case FinalStatus::stopped_by_consumer: return "stopped_by_consumer";
    case FinalStatus::setup_failed: return "setup_failed";
  }
  return "setup_failed";
}

FinalStatus ExecResult::final_status() const {
  if (setup_failure) return FinalStatus::setup_failed;
  if (timed_out) return FinalStatus::timed_out;
  if (oom_killed) return FinalStatus::memory_limit;
  if (cpu_limit_hit) return FinalStatus::cpu_limit;
  if (stopped_by_consumer) return FinalStatus::stopped_by_consumer;
  if (signal) return pids_limit_hit ? FinalStatus::pids_limit : FinalStatus::signaled;
  if (exit_code && *exit_code == 0) return FinalStatus::exited_ok;
  return pids_limit_hit ? FinalStatus::pids_limit : FinalStatus::exited_nonzero;
}

std::string ExecResult::final_reason() const {
  const std::string code = exit_code ? "exit " + std::to_string(*exit_code) : std::string("no exit code");
  const std::string sig = signal ? "signal " + std::to_string(*signal) : std::string();
  switch (final_status()) {
    case FinalStatus::exited_ok: return "exited with 0";
    case FinalStatus::exited_nonzero: return "exited with " + std::to_string(exit_code.value_or(-1));
    case FinalStatus::signaled: return "ended by " + sig;
    case FinalStatus::timed_out: return "killed at the wall-clock timeout";
    case FinalStatus::memory_limit: return "killed at the memory limit (OOM)";
    case FinalStatus::cpu_limit: return "killed at the CPU-time limit";
    case FinalStatus::pids_limit:
      return "the process limit refused a fork; then " + (signal ? sig : code);
    case FinalStatus::stopped_by_consumer: return "stopped: the output consumer refused more";
    case FinalStatus::setup_failed:
      return "never started: setup failed at " + setup_failure->stage + ": " + setup_failure->message;
  }
  return {};
}

}  // namespace kavach
