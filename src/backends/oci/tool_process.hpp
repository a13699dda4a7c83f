// Running the runtime binaries (runc, crun, runsc, umoci) as child processes: a clean
// environment, a new session, only the descriptors we name, and a pidfd to supervise them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::oci {

struct ToolCommand {
  std::vector<std::string> argv;  // argv[0]: absolute path of the binary
  int stdin_fd = -1;              // -1 = /dev/null
  int stdout_fd = -1;             // -1 = /dev/null
  int stderr_fd = -1;             // -1 = /dev/null
};

struct SpawnedTool {
  pid_t pid = -1;
  common::UniqueFd pidfd;
};

// posix_spawn with the three descriptors dup'ed to 0/1/2 and every other one closed, a new
// session (no controlling terminal), default signal dispositions and an empty mask.
[[nodiscard]] Result<SpawnedTool> spawn_tool(const ToolCommand& cmd);

struct ToolRun {
  int status = -1;  // exit code, or 128+N when signal N ended it
  bool timed_out = false;
  std::string out;
  std::string err;
  [[nodiscard]] bool ok() const { return status == 0 && !timed_out; }
  // "runc delete: exit 1: <stderr>" for error messages.
  [[nodiscard]] std::string describe(const std::string& what) const;
};

// Runs a short command to completion (bounded output, killed at the timeout).
[[nodiscard]] Result<ToolRun> run_tool(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout,
                                       std::uint64_t output_cap = 256u << 10);

// The environment every tool gets: PATH, plus XDG_RUNTIME_DIR and HOME when set (rootless runc).
[[nodiscard]] const std::vector<std::string>& tool_environment();

}  // namespace kavach::oci
