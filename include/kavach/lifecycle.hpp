// Sandbox lifecycle FSM: Created -> Running <-> Paused -> Stopped -> Destroyed.
#pragma once

#include <string_view>

#include "kavach/error.hpp"

namespace kavach {

enum class State { created, running, paused, stopped, destroyed };
enum class LifecycleEvent { start, pause, resume, stop, destroy };

[[nodiscard]] std::string_view to_string(State s);
[[nodiscard]] std::string_view to_string(LifecycleEvent e);

// The next state, or invalid_transition naming the state and the event.
[[nodiscard]] Result<State> transition(State from, LifecycleEvent event);

}  // namespace kavach
