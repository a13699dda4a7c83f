// The exit statuses of `kavach` itself (documented in `kavach --help` and kavach(1)).
#pragma once

#include "kavach/error.hpp"
#include "kavach/gate.hpp"
#include "kavach/result.hpp"

namespace kavach {

// For kavach's own errors: distinct per code, 64 and up. A sandboxed command may exit with the
// same numbers (sysexits.h uses 64-78), so the status alone cannot tell them apart: `--json`
// can (a kavach error prints an {"error": ...} object on stderr and no result on stdout).
[[nodiscard]] int cli_exit_code(ErrorCode code);
// `kavach run`: the command's exit code, or 128+signal when a signal ended it (as the shell).
[[nodiscard]] int shell_status(const ExecResult& r);
// `kavach scan`: 0 pass, 1 warn, 2 quarantine, 3 block.
[[nodiscard]] int scan_exit_code(gate::Verdict v);

}  // namespace kavach
