// The command line between kavach and kavach-guard. The library writes it (to_argv), the guard
// reads it (parse_guard_args); both are built from this one file so the two cannot drift.
//
// kavach-guard [--root DIR]... [--protect PATH]... --notify-bpf HEX [--status-fd N
//              --status-stages GUARD,EXEC] [--exec PATH]... -- ARGV...
#pragma once

#include <string>
#include <vector>

namespace kavach::guard {

struct GuardArgs {
  // Writable host paths as the sandbox sees them: only operations below one are checked.
  std::vector<std::string> writable_roots;
  // Protected paths: relative ones match at any depth below a writable root (".git/hooks"),
  // absolute ones exactly where they are.
  std::vector<std::string> protected_paths;
  // The trap filter (classic BPF, hex), compiled by the parent from the core's program.
  std::string notify_bpf_hex;
  // Process backend: where a failure before the command runs is reported (a StatusRecord of
  // three int32: stage, errno, -1), and the stage numbers to report.
  int status_fd = -1;
  int status_stage_guard = 0;
  int status_stage_exec = 0;
  // Candidates for the command's program (the parent's PATH search); empty: search $PATH.
  std::vector<std::string> exec_paths;
  std::vector<std::string> argv;  // the command
};

// The arguments after the program name.
[[nodiscard]] std::vector<std::string> to_argv(const GuardArgs& args);

// False with a message on malformed input.
[[nodiscard]] bool parse_guard_args(int argc, const char* const* argv, GuardArgs& out,
                                    std::string& error);

}  // namespace kavach::guard
