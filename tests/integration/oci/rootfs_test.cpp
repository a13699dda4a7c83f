// Root filesystems (host view, a directory, an OCI image layout unpacked with umoci), writable
// paths through idmapped copies, protected paths inside them, and precise errors for bad input.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backends/oci/tool_process.hpp"
#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kavach-oci-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A bare root: the static probe as /probe and the mount points a runtime needs.
void make_bare_root(const fs::path& root) {
  for (const char* d : {"proc", "dev", "sys", "tmp"}) fs::create_directories(root / d);
  fs::copy_file(probe_path(), root / "probe");
  ::chmod((root / "probe").c_str(), 0755);
}

SandboxPolicy bare_policy() {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits.wall_timeout = std::chrono::milliseconds(20'000);
  return p;
}

class OciRootfs : public ContainerTest {};

TEST_F(OciRootfs, DirectoryRootRunsItsOwnProgram) {
  Exercised ex;
  TempDir dir;
  make_bare_root(dir.path());
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = bare_policy();
    p.oci.rootfs = dir.path();
    auto r = made.backend->exec(p, command({"/probe", "hello"}));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "hello from probe\n") << describe(*r);
    EXPECT_NE(r->backend_info.at("rootfs").find("directory"), std::string::npos);
    // The host's system directories are not there: the root is the directory's own.
    auto sh = made.backend->exec(p, command({"/bin/sh", "-c", "true"}));
    ASSERT_TRUE(sh.has_value()) << sh.error().describe();
    EXPECT_NE(sh->exit_code, 0) << to_string(kind) << ": /bin/sh must not exist in the bare root";
  }
  EXPECT_FALSE(fs::exists(dir.path() / "usr")) << "kavach must not write into a root it does not own";
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciRootfs, DirectoryRootWithoutMountPointsIsAPreciseError) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  TempDir dir;
  SandboxPolicy p = bare_policy();
  p.oci.rootfs = dir.path();
  auto r = oci.exec(p, command({"/probe", "hello"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::path_not_found);
  EXPECT_NE(r.error().message.find("/proc"), std::string::npos) << r.error().message;
}

TEST_F(OciRootfs, MissingRootfsIsPathNotFound) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  SandboxPolicy p = bare_policy();
  p.oci.rootfs = "/nonexistent/kavach-rootfs";
  auto r = oci.exec(p, command({"/probe", "hello"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::path_not_found);
  EXPECT_NE(r.error().message.find("/nonexistent/kavach-rootfs"), std::string::npos) << r.error().message;
}

TEST_F(OciRootfs, OciImageLayoutIsUnpackedAndRun) {
  Exercised ex;
  const auto umoci = host_.runtimes.find("umoci");
  if (umoci == host_.runtimes.end()) GTEST_SKIP() << "umoci is not installed (apt-get install umoci)";
  TempDir dir;
  const std::string layout = (dir.path() / "layout").string();
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{umoci->second, "init", "--layout", layout},
        std::vector<std::string>{umoci->second, "new", "--image", layout + ":t1"},
        std::vector<std::string>{umoci->second, "insert", "--image", layout + ":t1", probe_path(), "/probe"}}) {
    auto run = oci::run_tool(argv, std::chrono::seconds(60));
    ASSERT_TRUE(run.has_value()) << run.error().describe();
    ASSERT_TRUE(run->ok()) << run->describe(argv[1]);
  }
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = bare_policy();
    p.oci.image = layout;
    p.oci.image_tag = "t1";
    auto r = made.backend->exec(p, command({"/probe", "hello"}));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "hello from probe\n") << describe(*r);
    EXPECT_NE(r->backend_info.at("rootfs").find("t1"), std::string::npos);
  }
  // A tag the layout does not have: umoci's own message, as a setup error.
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  SandboxPolicy p = bare_policy();
  p.oci.image = layout;
  p.oci.image_tag = "no-such-tag";
  auto r = oci.exec(p, command({"/probe", "hello"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::setup_failed);
  EXPECT_NE(r.error().message.find("no-such-tag"), std::string::npos) << r.error().message;
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciRootfs, WritablePathIsWrittenAsItsOwnerAndProtectedPathsStayReadOnly) {
  Exercised ex;
  TempDir dir;
  fs::create_directories(dir.path() / ".git");
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = quick_policy(Preset::agent);
    p.fs.writable_paths = {dir.path()};
    p.fs.workdir = dir.path();
    const fs::path out = dir.path() / ("out-" + std::string(to_string(kind)));
    if (kind == BackendKind::gvisor) {
      // The sentry has no seccomp user notification: the guard cannot run, so protected paths
      // fail closed, naming the control; degraded, the report says what is not protected.
      auto refused = made.backend->exec(p, command({probe_path(), "write", out.string()}));
      ASSERT_FALSE(refused.has_value());
      EXPECT_EQ(refused.error().code, ErrorCode::control_unavailable);
      EXPECT_EQ(refused.error().context.at("control"), "protected_paths");
      p.may_degrade.insert(Control::protected_paths);
    }
    auto r = made.backend->exec(p, command({probe_path(), "write", out.string()}));
    ASSERT_TRUE(r.has_value()) << r.error().describe();
    EXPECT_EQ(r->stdout_data, "write ok\n") << to_string(kind) << ": " << describe(*r);
    struct stat st {};
    ASSERT_EQ(::stat(out.c_str(), &st), 0) << "the file is on the host";
    EXPECT_EQ(st.st_uid, 0u) << "written through the idmapped copy: owned by the directory's owner";

    if (kind == BackendKind::gvisor) {
      const ControlStatus* pp = r->enforcement.find(Control::protected_paths);
      ASSERT_NE(pp, nullptr);
      EXPECT_TRUE(pp->requested);
      EXPECT_FALSE(pp->applied) << pp->detail;
      fs::remove(out);
      continue;
    }
    // .git exists, .git/hooks does not; .bashrc does not exist: the guard refuses creating them,
    // and nothing was created on the host to protect them.
    EXPECT_TRUE(r->enforcement.applied(Control::protected_paths));
    for (const fs::path& target : {dir.path() / ".git/hooks/pre-commit", dir.path() / ".bashrc"}) {
      auto w = made.backend->exec(p, command({probe_path(), "write", target.string()}));
      ASSERT_TRUE(w.has_value()) << w.error().describe();
      EXPECT_NE(w->stdout_data, "write ok\n") << to_string(kind) << " wrote protected " << target;
    }
    EXPECT_FALSE(fs::exists(dir.path() / ".git/hooks"));
    EXPECT_FALSE(fs::exists(dir.path() / ".bashrc"));

    // Twin: without protected paths the same write goes through.
    p.fs.protected_paths.clear();
    auto open_run = made.backend->exec(p, command({probe_path(), "write", (dir.path() / ".bashrc").string()}));
    ASSERT_TRUE(open_run.has_value()) << open_run.error().describe();
    EXPECT_EQ(open_run->stdout_data, "write ok\n") << to_string(kind);
    fs::remove(dir.path() / ".bashrc");
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

}  // namespace
}  // namespace kavach::oci_test
