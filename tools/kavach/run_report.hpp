// What `kavach run` says about a finished run: the summary (text), the result object (--json),
// the loud truncation note, the -v details, and nothing but the error when nothing ran.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kavach/sandbox.hpp"

namespace kavach::cli {

struct RunView {
  const RunReport& report;
  const SandboxPolicy& policy;
  BackendKind backend = BackendKind::process;
  std::string sandbox_id;
  std::optional<std::filesystem::path> quarantined_to;
  std::vector<std::string> hints;  // what to change when the command failed for want of a mount
  bool debug = false;              // -v: mount plan and stage timings
};

// A run whose command never started (ExecResult::setup_failure) as an Error: exec_failed at
// stage exec, else setup_failed; the first hint as its fix.
[[nodiscard]] Error setup_failure_error(const RunView& v);

// The --json result: the library's ExecResult keys plus score (null when nothing ran), backend,
// policy, sandbox_id, gate, hints, output_limit_bytes, stdout_b64/stderr_b64 (output that is not
// UTF-8, exactly), mount_plan (with -v) and schema_version (docs/json/run.schema.json).
[[nodiscard]] nlohmann::json run_json(const RunView& v);

// Text after the command's output: status line, enforced score, gate, enforcement. When nothing
// ran: the error, its stage and its fix instead (printed even with -q, like the hints).
void print_run_text(const RunView& v, bool quiet);

// "kavach: stdout truncated: ..." on stderr for each cut stream (even with -q).
void print_truncation(const ExecResult& r, std::uint64_t limit_bytes);

// -v: the mount plan of a set-up error (kept in its context), before the error itself.
void print_error_debug(const Error& e);

}  // namespace kavach::cli
