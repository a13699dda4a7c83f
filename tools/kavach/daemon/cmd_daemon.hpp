// kavach daemon (daemon/cmd_daemon.cpp).
#pragma once

#include <filesystem>

#include <CLI/CLI.hpp>

namespace kavach::cli {

void register_daemon(CLI::App& app, int& exit_code);
// Where clients and the daemon meet: $KAVACH_HOST (unix://PATH), /run/kavach/kavach.sock for
// root, else $XDG_RUNTIME_DIR/kavach.sock; empty when none applies.
[[nodiscard]] std::filesystem::path default_daemon_socket();

}  // namespace kavach::cli
