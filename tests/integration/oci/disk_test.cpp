// limits.disk_bytes under the container backends. Their writable binds are the host directories
// themselves, so the project quota of the process backend applies as is (measured in
// tests/integration/process/disk_quota_test.cpp). Here: on a directory whose filesystem has no
// project quotas (a tmpfs) a disk limit fails closed naming the control, and leaves no bundle;
// with `disk` in may_degrade the run goes on and the report says the control was not applied;
// without a disk limit the report says the writes are unbounded.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

namespace fs = std::filesystem;
using OciDisk = ContainerTest;

// A small tmpfs mounted on a fresh directory, unmounted and removed at the end.
class TmpfsDir {
 public:
  TmpfsDir() {
    char tmpl[] = "/tmp/kavach-oci-disk-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    path_ = tmpl;
    mounted_ = std::system(("mount -t tmpfs -o size=4m,mode=0777 kavach-test " + path_.string()).c_str()) == 0;
  }
  ~TmpfsDir() {
    if (mounted_) (void)std::system(("umount " + path_.string()).c_str());
    std::error_code ec;
    if (!path_.empty()) fs::remove(path_, ec);
  }
  TmpfsDir(const TmpfsDir&) = delete;
  TmpfsDir& operator=(const TmpfsDir&) = delete;
  [[nodiscard]] bool ok() const { return mounted_; }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool mounted_ = false;
};

// Bundles whose owner record names this process (other processes may run containers meanwhile).
std::vector<std::string> own_bundles() {
  std::vector<std::string> out;
  for (const auto& b : leftover_bundles()) {
    std::ifstream in(fs::path(b) / "kavach-owner.json");
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded() && j.value("pid", 0) == ::getpid()) out.push_back(b);
  }
  return out;
}

TEST_F(OciDisk, FailsClosedWithoutProjectQuotasAndDegradesWhenAllowed) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SCOPED_TRACE(std::string(to_string(kind)));
    TmpfsDir dir;
    ASSERT_TRUE(dir.ok()) << "cannot mount a tmpfs (root is needed for this backend anyway)";
    SandboxPolicy pol = quick_policy();
    pol.fs.writable_paths = {dir.path()};
    pol.fs.workdir = dir.path();
    // gVisor cannot run kavach-guard (no seccomp user notification): the agent preset's protected
    // paths fail closed there; this test is about the disk control.
    if (kind == BackendKind::gvisor) pol.may_degrade.insert(Control::protected_paths);

    auto unlimited = made.backend->exec(pol, command({"/bin/sh", "-c", "echo ran"}));
    ASSERT_TRUE(unlimited) << unlimited.error().message;
    const ControlStatus* st = unlimited->enforcement.find(Control::disk);
    ASSERT_NE(st, nullptr);
    EXPECT_FALSE(st->requested);
    EXPECT_EQ(st->detail, "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)");

    pol.limits.disk_bytes = 8u << 20;
    auto refused = made.backend->exec(pol, command({"/bin/sh", "-c", "echo ran"}));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::control_unavailable);
    EXPECT_NE(refused.error().message.find("control disk"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find(dir.path().string() + " is on tmpfs"), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(own_bundles(), std::vector<std::string>{}) << "the refused run's bundle is cleaned up";

    pol.may_degrade.insert(Control::disk);
    auto degraded = made.backend->exec(pol, command({"/bin/sh", "-c", "echo ran"}));
    ASSERT_TRUE(degraded) << degraded.error().message;
    EXPECT_EQ(degraded->stdout_data, "ran\n") << describe(*degraded);
    st = degraded->enforcement.find(Control::disk);
    ASSERT_NE(st, nullptr);
    EXPECT_TRUE(st->requested);
    EXPECT_FALSE(st->applied);
    EXPECT_NE(st->detail.find("degraded"), std::string::npos) << st->detail;
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

}  // namespace
}  // namespace kavach::oci_test
