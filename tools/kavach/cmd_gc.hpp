// kavach gc: remove what crashed container runs left behind (containers, bundles, cgroups).
#pragma once

#include <CLI/CLI.hpp>

namespace kavach::cli {

void register_gc(CLI::App& app, int& exit_code);

}  // namespace kavach::cli
