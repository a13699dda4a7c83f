// The CLI as main() drives it, for unit tests: every subcommand registered by register_all and
// parsed from argv with stdout/stderr captured, or the policy flags alone resolved to a policy.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "app.hpp"
#include "cli_common.hpp"
#include "parse_words.hpp"
#include "policy_options.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline CliRun run_cli(std::vector<std::string> args) {
  CLI::App app;
  int exit_code = 0;
  register_all(app, exit_code);
  CliRun r;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  try {
    parse_words(app, std::move(args));
    r.exit_code = exit_code;
  } catch (const CLI::ParseError&) {
    r.exit_code = cli_exit_code(ErrorCode::invalid_argument);  // as main() maps it
  }
  r.err = testing::internal::GetCapturedStderr();
  r.out = testing::internal::GetCapturedStdout();
  return r;
}

// The policy flags of `run`/`score` alone, plus the positional command words.
struct ParsedPolicy {
  PolicyOptions options;
  std::vector<std::string> command;
  Result<SandboxPolicy> policy = fail(ErrorCode::internal, "not parsed");
};

inline ParsedPolicy parse_policy_flags(std::vector<std::string> args) {
  ParsedPolicy p;
  CLI::App app;
  add_policy_options(&app, p.options);
  app.add_option("command", p.command);
  try {
    parse_words(app, std::move(args));
  } catch (const CLI::ParseError& e) {
    p.policy = fail(ErrorCode::invalid_argument, std::string("CLI11 rejected it: ") + e.what());
    return p;
  }
  p.policy = resolve_policy(p.options);
  return p;
}

}  // namespace kavach::cli
