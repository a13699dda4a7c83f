// The same command under process, oci (runc; crun where the host allows) and gvisor; what the
// kernel / sentry reports from inside the container for the controls the runtime was asked for.
#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "backends/oci/runtime.hpp"
#include "kavach/score.hpp"
#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

const std::vector<std::string> kShellCommand = {
    "/bin/sh", "-c", "echo hello; echo $((6 * 7)); printf '%s\\n' a b; true; true"};

std::string status_field(const std::string& status, const std::string& key) {
  const auto pos = status.find(key + ":");
  if (pos == std::string::npos) return "<absent>";
  const auto end = status.find('\n', pos);
  std::string v = status.substr(pos + key.size() + 1, end - pos - key.size() - 1);
  v.erase(0, v.find_first_not_of(" \t"));
  return v;
}

class OciBasics : public ContainerTest {};

TEST_F(OciBasics, SameStdoutUnderProcessOciAndGvisor) {
  std::vector<std::pair<std::string, std::string>> outputs;
  for (BackendKind kind : {BackendKind::process, BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!made.backend) {
      std::cout << "[ info ] " << to_string(kind) << " not compared: " << made.skip << "\n";
      continue;
    }
    auto r = made.backend->exec(quick_policy(Preset::strict), command(kShellCommand));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->exit_code, 0) << to_string(kind) << ": " << describe(*r);
    outputs.emplace_back(std::string(to_string(kind)), r->stdout_data);
  }
  if (outputs.size() < 2) GTEST_SKIP() << "fewer than two backends run commands here";
  for (const auto& [name, out] : outputs) {
    EXPECT_EQ(out, "hello\n42\na\nb\n") << name;
  }
}

TEST_F(OciBasics, CrunRunsWhereTheHostAllowsAndIsRefusedClearlyWhereNot) {
  if (host_.runtimes.count("crun") == 0) GTEST_SKIP() << "crun is not installed";
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  SandboxPolicy p = quick_policy(Preset::strict);
  p.oci.runtime = "crun";
  auto r = oci.exec(p, command(kShellCommand));
  if (const auto refusal = oci::crun_refusal(host_)) {
    ASSERT_FALSE(r.has_value()) << "crun should be refused on this host: " << *refusal;
    EXPECT_EQ(r.error().code, ErrorCode::backend_unavailable);
    EXPECT_NE(r.error().message.find("hybrid"), std::string::npos) << r.error().message;
    // The policy may allow the fallback: then runc runs it and says so.
    p.oci.allow_runtime_fallback = true;
    auto fb = oci.exec(p, command(kShellCommand));
    ASSERT_TRUE(fb.has_value()) << fb.error().describe();
    EXPECT_EQ(fb->stdout_data, "hello\n42\na\nb\n");
    EXPECT_EQ(fb->backend_info.at("runtime"), "runc");
    EXPECT_NE(fb->backend_info.at("runtime_note").find("fell back from crun"), std::string::npos);
    return;
  }
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->stdout_data, "hello\n42\na\nb\n");
  EXPECT_EQ(r->backend_info.at("runtime"), "crun");
}

TEST_F(OciBasics, RuncAppliedWhatItWasAskedForAsSeenFromInside) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  auto r = oci.exec(quick_policy(Preset::strict),
                    command({"/bin/sh", "-c", "cat /proc/self/status; echo ---; cat /proc/self/uid_map; hostname"}));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_EQ(r->exit_code, 0) << describe(*r);
  const std::string& s = r->stdout_data;
  EXPECT_EQ(status_field(s, "Seccomp"), "2");
  EXPECT_EQ(status_field(s, "NoNewPrivs"), "1");
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(status_field(s, cap), "0000000000000000") << cap;
  }
  // Container root is host uid 0x70000000 (1879048192), never host root.
  EXPECT_NE(s.find("1879048192"), std::string::npos) << s;
  EXPECT_NE(s.find("kavach\n"), std::string::npos) << "hostname from the UTS namespace: " << s;
  EXPECT_EQ(r->backend_info.at("runtime"), "runc");
  const StrengthScore score = compute_score(BackendKind::oci, r->enforcement);
  EXPECT_GE(score.value, 55 + 6) << "base 55 + the strict seccomp modifier at least";
  EXPECT_FALSE(r->enforcement.applied(Control::landlock_fs)) << "OCI runtimes offer no Landlock";
}

TEST_F(OciBasics, GvisorRunsInsideTheSentryWithTheFilterApplied) {
  KAVACH_BACKEND_OR_SKIP(gv, BackendKind::gvisor);
  auto r = gv.exec(quick_policy(Preset::strict),
                   command({"/bin/sh", "-c", "uname -a; cat /proc/self/status | grep -E 'Seccomp|Cap'"}));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_EQ(r->exit_code, 0) << describe(*r);
  // gVisor's own kernel version, not the host's.
  EXPECT_EQ(r->stdout_data.find(host_.kernel_release), std::string::npos) << r->stdout_data;
  EXPECT_EQ(status_field(r->stdout_data, "Seccomp"), "2") << r->stdout_data;
  EXPECT_EQ(status_field(r->stdout_data, "CapEff"), "0000000000000000");
  EXPECT_FALSE(r->backend_info.at("gvisor_version").empty());
  EXPECT_NE(r->backend_info.at("gvisor_platform").find("ptrace"), std::string::npos);
}

TEST_F(OciBasics, BlockedSyscallsAnswerAsThePolicySays) {
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!made.backend) {
      std::cout << "[ info ] " << to_string(kind) << ": " << made.skip << "\n";
      continue;
    }
    for (Preset preset : {Preset::strict, Preset::basic}) {
      auto r = made.backend->exec(quick_policy(preset), command({probe_path(), "unshare"}));
      ASSERT_TRUE(r.has_value()) << r.error().describe();
      EXPECT_EQ(r->stdout_data, "unshare EPERM\n") << to_string(kind) << "/" << to_string(preset);
      // clone3 answers ENOSYS so libc falls back to the argument-filtered clone.
      r = made.backend->exec(quick_policy(preset), command({probe_path(), "clone3"}));
      ASSERT_TRUE(r.has_value()) << r.error().describe();
      EXPECT_EQ(r->stdout_data, "clone3 ENOSYS\n") << to_string(kind) << "/" << to_string(preset);
    }
  }
}

TEST_F(OciBasics, WithoutSeccompTheSameProbeGetsThrough) {
  // The negative control of the test above: with seccomp off, the kernel itself decides.
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  SandboxPolicy p = quick_policy(Preset::minimal);
  ASSERT_EQ(p.seccomp.mode, SeccompMode::none);
  auto r = oci.exec(p, command({probe_path(), "clone3"}));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_NE(r->stdout_data, "clone3 ENOSYS\n") << "clone3 reached the kernel: EFAULT/EINVAL, not our ENOSYS";
}

TEST_F(OciBasics, ForeignAbisAreKilledUnderRunc) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  for (const char* abi : {"int80", "x32"}) {
    auto r = oci.exec(quick_policy(Preset::strict), command({probe_path(), abi}));
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    // runc reports the SIGSYS death as 128+31.
    EXPECT_EQ(r->exit_code, 128 + SIGSYS) << abi << ": " << describe(*r);
  }
}

// The mount options the container's kernel (or the sentry) reports for a mount point.
std::string mount_options(const std::string& mountinfo, const std::string& point) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mnt, opts;
    f >> id >> parent >> dev >> root >> mnt >> opts;
    if (mnt == point) return opts;
  }
  return "<not mounted>";
}

TEST_F(OciBasics, RootAndSystemDirsAreReadOnly) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    auto info = made.backend->exec(quick_policy(Preset::strict), command({"/bin/cat", "/proc/self/mountinfo"}));
    ASSERT_TRUE(info.has_value()) << info.error().describe();
    for (const char* point : {"/", "/usr", "/etc"}) {
      EXPECT_EQ(mount_options(info->stdout_data, point).rfind("ro", 0), 0u)
          << to_string(kind) << " " << point << ": " << mount_options(info->stdout_data, point);
    }
    EXPECT_EQ(mount_options(info->stdout_data, "/tmp").rfind("rw", 0), 0u) << to_string(kind);
    for (const char* path : {"/kavach-root-write", "/usr/kavach-write", "/etc/kavach-write"}) {
      auto r = made.backend->exec(quick_policy(Preset::strict), command({probe_path(), "write", path}));
      ASSERT_TRUE(r.has_value()) << r.error().describe();
      // runc: EROFS; the sentry checks permissions first (host root's files are nobody's there).
      EXPECT_TRUE(r->stdout_data == "write EROFS\n" || r->stdout_data == "write EACCES\n")
          << to_string(kind) << " " << path << ": " << r->stdout_data;
    }
    auto tmp = made.backend->exec(quick_policy(Preset::strict), command({probe_path(), "write", "/tmp/x"}));
    ASSERT_TRUE(tmp.has_value()) << tmp.error().describe();
    EXPECT_EQ(tmp->stdout_data, "write ok\n") << to_string(kind) << ": the private /tmp is writable";
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciBasics, EnvironmentIsOnlyTheAllowList) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  ::setenv("KAVACH_LEAK_CANARY", "secret-canary", 1);
  SandboxPolicy p = quick_policy(Preset::strict);
  Command c = command({"/usr/bin/env"});
  c.env = {{"INJECTED", "yes"}};
  auto r = oci.exec(p, c);
  ::unsetenv("KAVACH_LEAK_CANARY");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->stdout_data.find("secret-canary"), std::string::npos) << r->stdout_data;
  EXPECT_NE(r->stdout_data.find("INJECTED=yes"), std::string::npos) << r->stdout_data;
}

TEST_F(OciBasics, StdinIsDeliveredAndOutputIsBounded) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  SandboxPolicy p = quick_policy(Preset::strict);
  Command c = command({"/bin/cat"});
  c.stdin_data = "from stdin\n";
  auto r = oci.exec(p, c);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->stdout_data, "from stdin\n");
  p.limits.output_bytes = 4096;
  p.limits.wall_timeout = std::chrono::milliseconds(3000);
  auto flood = oci.exec(p, command({"/bin/sh", "-c", "head -c 10000000 /dev/zero"}));
  ASSERT_TRUE(flood.has_value()) << flood.error().describe();
  EXPECT_TRUE(flood->stdout_truncated);
  EXPECT_EQ(flood->stdout_data.size(), 4096u);
}

TEST_F(OciBasics, HealthCheckVerifiesFromInside) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    auto h = made.backend->health_check();
    EXPECT_TRUE(h.has_value()) << to_string(kind) << ": " << h.error().describe();
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

}  // namespace
}  // namespace kavach::oci_test
