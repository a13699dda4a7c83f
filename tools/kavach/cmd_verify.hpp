// kavach verify: run the adversarial probe suite on this host and report which controls really
// hold, with a score that counts only controls whose probes passed.
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

void register_verify(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
