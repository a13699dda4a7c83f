// One gated release's state inside Sandbox (an exec's outputs, an exported file).
#pragma once

#include <memory>

#include "kavach/sandbox.hpp"
#include "sandbox/stream_gate.hpp"

namespace kavach {

// The session (rules and registered secrets) and, for live output, the sink that sits in the
// stream. `active` is false when the gate is off and no secret is registered.
struct Sandbox::GateRun {
  bool active = false;
  bool rules_on = false;
  std::unique_ptr<gate::Session> session;
  std::unique_ptr<StreamGate> stream;
};

}  // namespace kavach
