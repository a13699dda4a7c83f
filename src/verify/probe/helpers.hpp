// Hidden sub-commands: small programs the probes (and the harness) execute.
//   sleeper <token> <seconds>   background process the harness must find gone after teardown
//   creds                       prints "uid=.. euid=.. capeff=<hex>" (setuid/file-cap checks)
//   exit <code>                 exits with code (memfd exec, status checks)
//   crash <signal>              raises a signal (status and core-dump checks)
//   spin <seconds>              burns CPU (CPU limit checks)
#pragma once

namespace probe {

inline constexpr int kNotAHelper = -1000;

// Returns kNotAHelper when argv[0] is not a helper name.
int run_helper(int argc, char** argv);

}  // namespace probe
