// Sandbox lifecycle FSM: Created -> Running -> Stopped -> Destroyed.
// Two moves beyond that chain: Created -> Destroyed (a sandbox that never ran may be discarded)
// and Running -> Running on start (another command in the same sandbox). Everything else is an
// invalid_transition error; tests/unit/core/lifecycle_test.cpp enumerates all 12 pairs.
#pragma once

#include <string_view>

#include "kavach/error.hpp"

namespace kavach {

enum class State { created, running, stopped, destroyed };
enum class LifecycleEvent { start, stop, destroy };

[[nodiscard]] std::string_view to_string(State s);
[[nodiscard]] std::string_view to_string(LifecycleEvent e);

// The next state, or invalid_transition naming the state and the event.
[[nodiscard]] Result<State> transition(State from, LifecycleEvent event);

}  // namespace kavach
