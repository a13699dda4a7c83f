#include "kavach/lifecycle.hpp"

#include <string>

namespace kavach {

std::string_view to_string(State s) {
  switch (s) {
    case State::created: return "created";
    case State::running: return "running";
    case State::stopped: return "stopped";
    case State::destroyed: return "destroyed";
  }
  return "unknown";
}

std::string_view to_string(LifecycleEvent e) {
  switch (e) {
    case LifecycleEvent::start: return "start";
    case LifecycleEvent::stop: return "stop";
    case LifecycleEvent::destroy: return "destroy";
  }
  return "unknown";
}

Result<State> transition(State from, LifecycleEvent event) {
  using S = State;
  using E = LifecycleEvent;
  switch (from) {
    case S::created:
      if (event == E::start) return S::running;
      if (event == E::destroy) return S::destroyed;  // never-run sandbox may be discarded
      break;
    case S::running:
      if (event == E::start) return S::running;  // another command in the same sandbox
      if (event == E::stop) return S::stopped;
      break;
    case S::stopped:
      if (event == E::destroy) return S::destroyed;
      break;
    case S::destroyed:
      break;
  }
  return fail(ErrorCode::invalid_transition,
              "invalid lifecycle transition: cannot " + std::string(to_string(event)) +
                  " a sandbox that is " + std::string(to_string(from)),
              {{"state", std::string(to_string(from))}, {"event", std::string(to_string(event))}});
}

}  // namespace kavach
