// kavach session ... (daemon/cmd_session.cpp).
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

void register_session(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
