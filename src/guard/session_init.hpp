// kavach-guard --session: the session init (see session_init.cpp).
#pragma once

namespace kavach::guard {

// Serves the session channel on stdin/stdout until told to stop or stdin ends; returns the
// program's exit status.
[[nodiscard]] int run_session_init();

}  // namespace kavach::guard
