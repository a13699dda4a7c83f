// The filesystem view as OCI mounts: the process backend's meaning, in mount order.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backends/oci/mount_plan.hpp"

namespace kavach::oci {
namespace {

namespace fs = std::filesystem;

const OciMount* find(const MountPlan& p, const std::string& dest) {
  for (const auto& m : p.mounts) {
    if (m.destination == dest) return &m;
  }
  return nullptr;
}

bool has(const OciMount& m, const std::string& opt) {
  return std::find(m.options.begin(), m.options.end(), opt) != m.options.end();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kavach-mount-plan-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

MountPlan plan_for(const SandboxPolicy& p, RootfsKind kind = RootfsKind::host_view,
                   std::function<std::string(const fs::path&)> source = {}) {
  MountPlanInput in;
  in.policy = &p;
  in.rootfs = kind;
  in.writable_source = std::move(source);
  auto plan = plan_mounts(in);
  EXPECT_TRUE(plan.has_value()) << plan.error().message;
  return plan ? std::move(*plan) : MountPlan{};
}

TEST(OciMountPlan, HostViewIsReadOnlySystemDirsWithPrivateTmpAndDev) {
  SandboxPolicy p = preset_policy(Preset::strict);
  const MountPlan plan = plan_for(p);
  const OciMount* proc = find(plan, "/proc");
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->type, "proc");
  const OciMount* tmp = find(plan, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->type, "tmpfs");
  EXPECT_TRUE(has(*tmp, "size=" + std::to_string(p.limits.tmpfs_bytes)));
  EXPECT_TRUE(has(*tmp, "nodev") && has(*tmp, "nosuid"));
  // Inode exhaustion (probe R06) meets a limit: one inode per 4 KiB page of the size.
  EXPECT_TRUE(has(*tmp, "nr_inodes=" + std::to_string(p.limits.tmpfs_bytes / 4096)));
  ASSERT_NE(find(plan, "/dev/shm"), nullptr);
  EXPECT_TRUE(has(*find(plan, "/dev/shm"), "nr_inodes=" + std::to_string(p.limits.tmpfs_bytes / 4096)));
  EXPECT_EQ(find(plan, "/sys"), nullptr) << "runc: no sysfs at all unless asked";
  ASSERT_NE(find(plan, "/dev/pts"), nullptr);
  for (const auto& d : p.fs.readonly_paths) {
    struct stat st {};
    ASSERT_EQ(::lstat(d.c_str(), &st), 0);
    if (S_ISLNK(st.st_mode)) {
      // Merged /usr: the link is recreated in the root, not bound.
      EXPECT_EQ(find(plan, d.string()), nullptr) << d;
      bool linked = false;
      for (const auto& l : plan.symlinks) linked |= l.name == d.string();
      EXPECT_TRUE(linked) << d;
      continue;
    }
    const OciMount* m = find(plan, d.string());
    ASSERT_NE(m, nullptr) << d;
    EXPECT_EQ(m->type, "bind");
    EXPECT_TRUE(has(*m, "ro") && has(*m, "nosuid") && has(*m, "nodev")) << d;
  }
}

TEST(OciMountPlan, ParentsComeBeforeChildren) {
  SandboxPolicy p = preset_policy(Preset::agent);
  TempDir dir;
  fs::create_directories(dir.path() / ".git");
  p.fs.writable_paths = {dir.path()};
  const MountPlan plan = plan_for(p);
  for (std::size_t i = 0; i < plan.mounts.size(); ++i) {
    for (std::size_t j = i + 1; j < plan.mounts.size(); ++j) {
      const fs::path later(plan.mounts[j].destination);
      const fs::path earlier(plan.mounts[i].destination);
      // A later mount is never the parent of an earlier one.
      EXPECT_FALSE(earlier.string().rfind(later.string() + "/", 0) == 0) << earlier << " before " << later;
    }
  }
}

TEST(OciMountPlan, WritableAndProtectedPaths) {
  SandboxPolicy p = preset_policy(Preset::agent);
  TempDir dir;
  fs::create_directories(dir.path() / ".git");
  std::ofstream(dir.path() / ".git" / "config") << "[core]\n";
  p.fs.writable_paths = {dir.path()};
  p.fs.workdir = dir.path();
  const MountPlan plan = plan_for(p, RootfsKind::host_view, [](const fs::path&) { return std::string("/idmapped/w0"); });
  EXPECT_EQ(plan.cwd, dir.path().string());
  const OciMount* w = find(plan, dir.path().string());
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->source, "/idmapped/w0");
  EXPECT_TRUE(has(*w, "rw") && has(*w, "nosuid") && has(*w, "nodev"));
  // .git exists: pinned writable, from the same idmapped tree.
  const OciMount* git = find(plan, (dir.path() / ".git").string());
  ASSERT_NE(git, nullptr);
  EXPECT_TRUE(has(*git, "rw"));
  EXPECT_EQ(git->source, "/idmapped/w0/.git");
  // .git/config exists: read-only.
  const OciMount* cfg = find(plan, (dir.path() / ".git/config").string());
  ASSERT_NE(cfg, nullptr);
  EXPECT_TRUE(has(*cfg, "ro"));
  // .git/hooks and .bashrc are missing: no mount, nothing created in the user's tree (the guard
  // refuses creating them).
  EXPECT_EQ(find(plan, (dir.path() / ".git/hooks").string()), nullptr);
  EXPECT_EQ(find(plan, (dir.path() / ".bashrc").string()), nullptr);
  EXPECT_EQ(plan.writable_targets, std::vector<std::string>{dir.path().string()});
}

TEST(OciMountPlan, SymlinkInAProtectedPathIsRefused) {
  SandboxPolicy p = preset_policy(Preset::agent);
  TempDir dir;
  fs::create_directory_symlink("/etc", dir.path() / ".git");
  p.fs.writable_paths = {dir.path()};
  MountPlanInput in;
  in.policy = &p;
  auto plan = plan_mounts(in);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::setup_failed);
  EXPECT_NE(plan.error().message.find("symbolic link"), std::string::npos);
}

TEST(OciMountPlan, OwnRootFilesystemSkipsTheHostSystemDirs) {
  SandboxPolicy p = preset_policy(Preset::strict);
  TempDir extra;
  p.fs.readonly_paths.push_back(extra.path());
  const MountPlan plan = plan_for(p, RootfsKind::image);
  EXPECT_EQ(find(plan, "/usr"), nullptr);
  EXPECT_EQ(find(plan, "/etc"), nullptr);
  EXPECT_TRUE(plan.symlinks.empty());
  ASSERT_NE(find(plan, extra.path().string()), nullptr) << "other read-only paths are still shown";
}

// gVisor mounts a writable sysfs of its own when the spec has none (probe S03): ask for read-only.
TEST(OciMountPlan, ReadonlySysfsWhenAsked) {
  SandboxPolicy p = preset_policy(Preset::strict);
  MountPlanInput in;
  in.policy = &p;
  in.readonly_sysfs = true;
  auto plan = plan_mounts(in);
  ASSERT_TRUE(plan) << plan.error().message;
  const OciMount* sys = find(*plan, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->type, "sysfs");
  EXPECT_TRUE(has(*sys, "ro") && has(*sys, "nosuid") && has(*sys, "nodev") && has(*sys, "noexec"));
}

// Injected files: bound read-only where the sandbox expects them, after their parents; never onto
// a host bind, a kernel filesystem, twice, or at a relative path (the rules every backend shares).
TEST(OciMountPlan, InjectedFilesAreReadOnlyBindsOnTheSandboxsOwnFilesystems) {
  SandboxPolicy p = preset_policy(Preset::strict);
  MountPlanInput in;
  in.policy = &p;
  in.injected_files = {{"/run/kavach/egress-ca.pem", "/bundle/files/0"}, {"/tmp/token", "/bundle/files/1"}};
  auto plan = plan_mounts(in);
  ASSERT_TRUE(plan) << plan.error().message;
  const OciMount* ca = find(*plan, "/run/kavach/egress-ca.pem");
  ASSERT_NE(ca, nullptr);
  EXPECT_EQ(ca->type, "bind");
  EXPECT_EQ(ca->source, "/bundle/files/0");
  EXPECT_TRUE(has(*ca, "ro"));
  const auto tmp = std::find_if(plan->mounts.begin(), plan->mounts.end(), [](const OciMount& m) { return m.destination == "/tmp"; });
  const auto token = std::find_if(plan->mounts.begin(), plan->mounts.end(), [](const OciMount& m) { return m.destination == "/tmp/token"; });
  ASSERT_NE(token, plan->mounts.end());
  EXPECT_LT(tmp, token) << "the file's tmpfs comes first";

  for (const char* bad : {"/usr/lib/x", "/proc/self/x", "/dev/x", "relative", "/tmp/../etc/x", "/sys/x"}) {
    in.injected_files = {{bad, "/bundle/files/0"}};
    auto r = plan_mounts(in);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
  }
  in.injected_files = {{"/tmp/a", "/bundle/files/0"}, {"/tmp/a", "/bundle/files/1"}};
  auto twice = plan_mounts(in);
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos);
}

}  // namespace
}  // namespace kavach::oci
