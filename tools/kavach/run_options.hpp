// `kavach run`'s options, apart from their action so the parsing is unit-tested.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "policy_options.hpp"

namespace kavach::cli {

struct RunOptions {
  PolicyOptions policy;
  bool json = false;
  bool json_lines = false;  // live events, one JSON object per line
  bool quiet = false;
  std::string stdin_spec = "auto";  // - | none | FILE | auto (see live_io.hpp)
  bool tty = false;                 // -t: the command runs on a terminal
  bool debug = false;  // -v: mount plan and stage timings
  std::vector<std::string> secrets;  // NAME=env:VAR | NAME=file:PATH | NAME=cmd:COMMAND
  std::vector<std::string> injects;  // NAME=env:VAR | NAME=file:/PATH | NAME=stdin
  std::string audit_log;
  std::string audit_key;
  std::string audit_anchor_dir;
  bool no_gate = false;
  std::string gate_rules;
  std::string quarantine_dir;
  std::vector<std::string> exports;  // PATH[:DEST]: files out through the gate after the run
  std::vector<std::string> command;
};

// Adds every `run` option to `cmd`. Repeatable options take exactly one value per use, so
// everything after `--` (including `--no-gate`, `--json`, `-c`) stays the command's.
void add_run_options(CLI::App* cmd, RunOptions& o);

}  // namespace kavach::cli
