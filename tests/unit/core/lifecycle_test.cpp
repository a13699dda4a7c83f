#include "kavach/lifecycle.hpp"

#include <gtest/gtest.h>

#include <map>
#include <utility>

namespace kavach {
namespace {

constexpr State kStates[] = {State::created, State::running, State::stopped, State::destroyed};
constexpr LifecycleEvent kEvents[] = {LifecycleEvent::start, LifecycleEvent::stop, LifecycleEvent::destroy};

// The whole table: every (state, event) pair not listed here must be rejected.
const std::map<std::pair<State, LifecycleEvent>, State> kAllowed = {
    {{State::created, LifecycleEvent::start}, State::running},
    {{State::created, LifecycleEvent::destroy}, State::destroyed},
    {{State::running, LifecycleEvent::start}, State::running},
    {{State::running, LifecycleEvent::stop}, State::stopped},
    {{State::stopped, LifecycleEvent::destroy}, State::destroyed},
};

TEST(Lifecycle, EveryStateEventPair) {
  int checked = 0;
  for (State s : kStates) {
    for (LifecycleEvent e : kEvents) {
      auto r = transition(s, e);
      auto it = kAllowed.find({s, e});
      if (it == kAllowed.end()) {
        ASSERT_FALSE(r.has_value()) << to_string(s) << " + " << to_string(e);
        EXPECT_EQ(r.error().code, ErrorCode::invalid_transition);
        EXPECT_NE(r.error().message.find(std::string(to_string(s))), std::string::npos);
      } else {
        ASSERT_TRUE(r.has_value()) << to_string(s) << " + " << to_string(e);
        EXPECT_EQ(*r, it->second);
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 12);
}

TEST(Lifecycle, DestroyedIsTerminal) {
  for (LifecycleEvent e : kEvents) EXPECT_FALSE(transition(State::destroyed, e).has_value());
}

}  // namespace
}  // namespace kavach
