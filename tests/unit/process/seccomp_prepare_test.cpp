// prepare_seccomp without a kernel round trip: what it refuses, what it caches, what "none" is.
#include <gtest/gtest.h>

#include "backends/process/seccomp.hpp"
#include "kavach/syscalls.hpp"

namespace kavach {
namespace {

SeccompProgram program(SeccompMode mode) {
  SeccompPolicy p;
  p.mode = mode;
  auto prog = build_seccomp_program(p);
  EXPECT_TRUE(prog) << prog.error().describe();
  return *prog;
}

// seccomp "none" is no policy filter but still the host-safety one (set-id modes, devices).
TEST(PrepareSeccomp, NoneCompilesToTheHostSafetyFilter) {
  auto r = process::prepare_seccomp(program(SeccompMode::none));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(r->empty());
  EXPECT_LT(r->bpf.size(), process::prepare_seccomp(program(SeccompMode::basic))->bpf.size());
}

TEST(PrepareSeccomp, StrictAndBasicCompileAndAreCached) {
  for (SeccompMode mode : {SeccompMode::strict, SeccompMode::basic}) {
    const auto prog = program(mode);
    auto a = process::prepare_seccomp(prog);
    ASSERT_TRUE(a) << a.error().describe();
    EXPECT_GT(a->bpf.size(), 10u);
    EXPECT_LE(a->bpf.size(), 4096u);
    EXPECT_NE(a->description.find("BPF instructions"), std::string::npos) << a->description;
    auto b = process::prepare_seccomp(prog);
    ASSERT_TRUE(b);
    ASSERT_EQ(a->bpf.size(), b->bpf.size());
    for (std::size_t i = 0; i < a->bpf.size(); ++i) {
      EXPECT_EQ(a->bpf[i].code, b->bpf[i].code);
      EXPECT_EQ(a->bpf[i].k, b->bpf[i].k);
    }
  }
}

// libseccomp lets an unconditional rule swallow conditional rules of another action (measured:
// ioctl ALLOW + ioctl(TIOCSTI) ERRNO let TIOCSTI through), so such programs are refused.
TEST(PrepareSeccomp, RefusesMixedActionsForOneSyscall) {
  SeccompProgram p;
  p.default_action = SeccompAction::errno_enosys;
  p.rules = {{"ioctl", SeccompAction::errno_eperm, {{1, ArgOp::masked_eq, 0x5412, 0xffffffff}}},
             {"ioctl", SeccompAction::allow, {}}};
  auto r = process::prepare_seccomp(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::setup_failed);
  EXPECT_NE(r.error().message.find("ioctl"), std::string::npos) << r.error().message;
}

TEST(PrepareSeccomp, RefusesRulesRepeatingTheDefault) {
  SeccompProgram p;
  p.default_action = SeccompAction::errno_eperm;
  p.rules = {{"bpf", SeccompAction::errno_eperm, {}}};
  auto r = process::prepare_seccomp(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::setup_failed);
}

TEST(PrepareSeccomp, UnknownNameInAProgramIsNamed) {
  SeccompProgram p;
  p.default_action = SeccompAction::allow;
  p.rules = {{"not_a_syscall_kavach", SeccompAction::errno_eperm, {}}};
  auto r = process::prepare_seccomp(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::unknown_syscall);
  EXPECT_NE(r.error().message.find("not_a_syscall_kavach"), std::string::npos);
}

}  // namespace
}  // namespace kavach
