// ExecResult::final_status: one reason a run ended, in a fixed precedence over the flags.
#include <gtest/gtest.h>

#include "kavach/result.hpp"

namespace kavach {
namespace {

TEST(FinalStatus, OneReasonInAFixedPrecedence) {
  ExecResult r;
  r.exit_code = 0;
  EXPECT_EQ(r.final_status(), FinalStatus::exited_ok);
  r.exit_code = 3;
  EXPECT_EQ(r.final_status(), FinalStatus::exited_nonzero);
  EXPECT_EQ(r.final_reason(), "exited with 3");
  r.pids_limit_hit = true;  // a refused fork, and the command then exited 3
  EXPECT_EQ(r.final_status(), FinalStatus::pids_limit);
  EXPECT_EQ(r.final_reason(), "the process limit refused a fork; then exit 3");
  r = ExecResult{};
  r.signal = 9;
  EXPECT_EQ(r.final_status(), FinalStatus::signaled);
  r.cpu_limit_hit = true;
  EXPECT_EQ(r.final_status(), FinalStatus::cpu_limit);
  r.oom_killed = true;
  EXPECT_EQ(r.final_status(), FinalStatus::memory_limit);
  r.timed_out = true;  // the timeout killed the tree: that is why it ended
  EXPECT_EQ(r.final_status(), FinalStatus::timed_out);
  r.setup_failure = SetupFailure{"mounts", 2, "no such file"};
  EXPECT_EQ(r.final_status(), FinalStatus::setup_failed);
  EXPECT_EQ(r.final_reason(), "never started: setup failed at mounts: no such file");
  EXPECT_EQ(to_string(FinalStatus::stopped_by_consumer), "stopped_by_consumer");
}

}  // namespace
}  // namespace kavach
