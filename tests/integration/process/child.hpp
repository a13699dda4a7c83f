// Test helper: run a body in a forked child (own session, stdin /dev/null, stdout+stderr
// captured, bounded by an alarm) and report how it ended. The test binary is single-threaded
// when it forks, so the body may use the C++ library freely.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace kavach::testing {

struct ChildResult {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
  std::string output;  // stdout and stderr interleaved
  [[nodiscard]] bool ok() const { return exited && exit_code == 0; }
  [[nodiscard]] std::string describe() const;
};

ChildResult run_in_child(const std::function<int()>& body, unsigned timeout_seconds = 20);

// errno of a failed raw call (rc < 0), 0 on success.
int errno_of(long rc);

// Probes print "name=errno" lines; this parses them back.
std::map<std::string, int> parse_probe_lines(const std::string& output);
void print_probe_line(const std::string& name, int err);

}  // namespace kavach::testing
