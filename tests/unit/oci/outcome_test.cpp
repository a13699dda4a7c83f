// Decoding what an OCI runtime and the container's cgroup reported into the common result.
#include "backends/oci/outcome.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace kavach::oci {
namespace {

struct Decoded {
  ExecResult result;
  std::map<std::string, std::string> info;
};

Decoded decode(ContainerOutcome out, ContainerCgroupStats cg = {}, BackendKind kind = BackendKind::oci) {
  static const SandboxPolicy policy = preset_policy(Preset::strict);
  OutcomeInput in;
  in.kind = kind;
  in.policy = &policy;
  in.program = "prog";
  in.cgroup = cg;
  Decoded d;
  decode_outcome(std::move(out), in, d.result, d.info);
  return d;
}

TEST(OciOutcome, ExitStatusIsKeptUnlessTheKernelKilledForALimit) {
  ContainerOutcome out;
  out.started = true;
  out.status = 137;
  auto plain = decode(out);
  EXPECT_EQ(plain.result.exit_code, 137);  // the cause is unknown: the status a shell shows
  EXPECT_FALSE(plain.result.signal);
  ContainerCgroupStats oom;
  oom.oom_kills = 1;
  auto killed = decode(out, oom);
  EXPECT_EQ(killed.result.signal, SIGKILL);
  EXPECT_FALSE(killed.result.exit_code);
  EXPECT_EQ(killed.result.final_status(), FinalStatus::memory_limit);
}

TEST(OciOutcome, ACommandTheRuntimeCannotExecIsTheCommandsFailure) {
  ContainerOutcome out;
  out.runtime_error = "exec: \"nosuch\": executable file not found in $PATH";
  auto d = decode(out);
  EXPECT_EQ(d.result.exit_code, 127);
  ASSERT_TRUE(d.result.setup_failure);
  EXPECT_EQ(d.result.setup_failure->stage, "exec");
  EXPECT_NE(d.result.setup_failure->message.find("cannot execute 'prog'"), std::string::npos);
}

TEST(OciOutcome, AGvisorSandboxWithoutStatusDiedWithItsSentry) {
  ContainerOutcome out;
  out.started = true;
  out.runtime_error = "sandbox killed";
  auto d = decode(out, {}, BackendKind::gvisor);
  EXPECT_EQ(d.result.signal, SIGKILL);
  EXPECT_NE(d.info.at("sandbox").find("without an exit status"), std::string::npos);
}

TEST(OciOutcome, TheCpuWatchKillingTheContainerIsACpuLimit) {
  ContainerOutcome out;
  out.started = true;
  out.status = 137;
  out.cpu_limit_hit = true;
  auto d = decode(out);
  EXPECT_TRUE(d.result.cpu_limit_hit);
  EXPECT_EQ(d.result.signal, SIGKILL);
  EXPECT_FALSE(d.result.exit_code);
}

}  // namespace
}  // namespace kavach::oci
