// The parent-side mount plan: order, flags, masks, and the errors for bad paths.
#include "backends/process/mount_plan.hpp"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace kavach::process {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  fs::path path = fs::temp_directory_path() / ("kavach-mp-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(path); }
  ~Scratch() { fs::remove_all(path); }
};

int index_of(const MountPlan& p, const std::string& text) {
  auto it = std::find(p.op_text.begin(), p.op_text.end(), text);
  return it == p.op_text.end() ? -1 : static_cast<int>(it - p.op_text.begin());
}

Result<MountPlan> plan_for(FilesystemPolicy fs_policy, std::vector<InjectedFile> files = {}) {
  static FilesystemPolicy keep;
  static std::vector<InjectedFile> keep_files;
  keep = std::move(fs_policy);
  keep_files = std::move(files);
  MountPlanInput in;
  in.fs = &keep;
  in.files = &keep_files;
  SandboxPolicy p;
  p.fs = keep;
  p.limits.tmpfs_bytes = 8u << 20;
  in.view = filesystem_view(p);
  return build_mount_plan(in);
}

TEST(MountPlan, OrderAndFlags) {
  FilesystemPolicy f;
  f.readonly_paths = {"/usr", "/etc"};
  if (fs::is_symlink("/bin")) f.readonly_paths.push_back("/bin");
  auto plan = plan_for(f);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  EXPECT_EQ(plan->op_text.front(), "create mask source");
  EXPECT_EQ(plan->op_text[1], "tmpfs new root");
  const int usr = index_of(*plan, "bind ro /usr at /usr");
  const int tmp = index_of(*plan, "tmpfs /tmp");
  const int dev = index_of(*plan, "tmpfs /dev");
  const int proc = index_of(*plan, "procfs /proc");
  ASSERT_GE(usr, 0);
  ASSERT_GE(tmp, 0);
  EXPECT_LT(tmp, usr) << "/tmp sorts before /usr";
  EXPECT_LT(usr, dev);
  EXPECT_LT(dev, proc);
  EXPECT_EQ(plan->op_text.back(), "read-only root");
  const MountOp& bind = plan->ops[static_cast<std::size_t>(usr)];
  EXPECT_EQ(bind.kind, MountKind::bind);
  EXPECT_TRUE(bind.recursive);
  EXPECT_EQ(bind.attrs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  EXPECT_STREQ(bind.source, "/oldroot/usr");
  EXPECT_STREQ(bind.target, "/newroot/usr");
  if (fs::is_symlink("/bin")) {
    EXPECT_GE(index_of(*plan, "symlink /bin -> usr/bin"), 0) << "a symlinked system dir stays a symlink";
  }
  EXPECT_EQ(plan->readonly_entries, 2u);
}

TEST(MountPlan, WritableIsNosuidNodevAndRuleGrantsWrite) {
  Scratch s;
  FilesystemPolicy f;
  f.writable_paths = {s.path};
  auto plan = plan_for(f);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  const int w = index_of(*plan, "bind rw " + s.path.string() + " at " + s.path.string());
  ASSERT_GE(w, 0);
  EXPECT_EQ(plan->ops[static_cast<std::size_t>(w)].attrs, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  ASSERT_EQ(plan->landlock_host_rules.size(), 1u);
  EXPECT_EQ(plan->landlock_host_rules[0].access, kAccessRead | kAccessWrite | kAccessExec);
}

// Missing protected paths get no mount point: nothing may be created in the user's tree (the
// guard refuses creating them instead). Existing ancestors are still pinned.
TEST(MountPlan, ProtectedPathsPinButNeverCreateMountPoints) {
  Scratch s;
  fs::create_directories(s.path / ".git");
  FilesystemPolicy f;
  f.writable_paths = {s.path};
  f.protected_paths = {".git/hooks", ".bashrc"};
  auto plan = plan_for(f);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  const std::string w = s.path.string();
  EXPECT_GE(index_of(*plan, "pin " + w + "/.git"), 0);
  for (const auto& o : plan->ops) {
    if (o.target == nullptr) continue;
    const std::string t = o.target;
    EXPECT_EQ(t.find(w + "/.git/hooks"), std::string::npos) << t;
    EXPECT_EQ(t.find(w + "/.bashrc"), std::string::npos) << t;
  }
  EXPECT_EQ(plan->protected_masks, 0u);
  EXPECT_EQ(plan->writable_targets, std::vector<std::string>{w});
}

// Item 3 of issue 12: a writable path given as a symlink is mounted (and protected) at its
// resolved target; the given path becomes the same link inside.
TEST(MountPlan, WritableSymlinkIsResolvedAndProtectedAtItsTarget) {
  Scratch s;
  fs::create_directories(s.path / "proj" / ".git" / "hooks");
  fs::create_directory_symlink(s.path / "proj", s.path / "link");
  FilesystemPolicy f;
  f.writable_paths = {s.path / "link"};
  f.protected_paths = {".git/hooks"};
  auto plan = plan_for(f);
  ASSERT_TRUE(plan.has_value()) << plan.error().describe();
  const std::string proj = fs::canonical(s.path / "proj").string();
  EXPECT_GE(index_of(*plan, "protect " + proj + "/.git/hooks"), 0);
  EXPECT_EQ(plan->writable_targets, std::vector<std::string>{proj});
  bool link_made = false;
  for (const auto& t : plan->op_text) link_made = link_made || t.rfind("symlink " + (s.path / "link").string(), 0) == 0;
  EXPECT_TRUE(link_made);
}

TEST(MountPlan, ExistingProtectedPathIsReadOnlyBind) {
  Scratch s;
  fs::create_directories(s.path / ".git" / "hooks");
  FilesystemPolicy f;
  f.writable_paths = {s.path};
  f.protected_paths = {".git/hooks"};
  auto plan = plan_for(f);
  ASSERT_TRUE(plan.has_value());
  const int i = index_of(*plan, "protect " + s.path.string() + "/.git/hooks");
  ASSERT_GE(i, 0);
  EXPECT_NE(plan->ops[static_cast<std::size_t>(i)].attrs & MOUNT_ATTR_RDONLY, 0u);
}

TEST(MountPlan, PathErrorsArePrecise) {
  FilesystemPolicy f;
  f.readonly_paths = {"/no/such/kavach/path"};
  auto plan = plan_for(f);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::path_not_found);
  EXPECT_EQ(plan.error().context.at("key"), "fs.readonly_paths");

  f.readonly_paths = {"relative/path"};
  plan = plan_for(f);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::path_not_absolute);

  f.readonly_paths = {"/proc"};
  plan = plan_for(f);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::policy_value);

  f.readonly_paths = {"/"};
  plan = plan_for(f);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::policy_value);

  Scratch s;
  f.readonly_paths = {s.path};
  f.writable_paths = {s.path};
  plan = plan_for(f);
  ASSERT_FALSE(plan.has_value());
  EXPECT_NE(plan.error().message.find("both read-only and writable"), std::string::npos);
}

TEST(MountPlan, InjectedFilesLandOnlyInSandboxTmpfs) {
  FilesystemPolicy f;
  f.readonly_paths = {"/usr"};
  auto ok = plan_for(f, {{"/run/secrets/a", "x", 0400}, {"/tmp/b", "y", 0600}, {"/dev/shm/c", "z", 0600}});
  ASSERT_TRUE(ok.has_value()) << ok.error().describe();
  EXPECT_GE(index_of(*ok, "inject file /run/secrets/a"), 0);
  EXPECT_GE(index_of(*ok, "mkdir /run/secrets"), 0);
  EXPECT_LT(index_of(*ok, "inject file /run/secrets/a"), index_of(*ok, "read-only root"));
  for (const char* bad : {"/usr/lib/x", "/proc/x", "/dev/x", "relative", "/run/../etc/x"}) {
    auto r = plan_for(f, {{bad, "x", 0400}});
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument) << bad;
  }
  auto dup = plan_for(f, {{"/run/a", "x", 0400}, {"/run/a", "y", 0400}});
  ASSERT_FALSE(dup.has_value());
}

TEST(MountPlan, ChildRuleAccessFollowsTheAbi) {
  EXPECT_EQ(child_rule_access(ChildPathRights::read_dir_only, 1), 1u << 3);
  EXPECT_EQ(child_rule_access(ChildPathRights::tmp, 1) & (1ull << 13), 0u) << "REFER needs ABI 2";
  EXPECT_NE(child_rule_access(ChildPathRights::tmp, 2) & (1ull << 13), 0u);
  EXPECT_EQ(child_rule_access(ChildPathRights::dev, 4) & (1ull << 15), 0u) << "IOCTL_DEV needs ABI 5";
  EXPECT_NE(child_rule_access(ChildPathRights::dev, 5) & (1ull << 15), 0u);
  EXPECT_EQ(child_rule_access(ChildPathRights::device_file, 7) & (1ull << 3), 0u) << "no directory rights on files";
  EXPECT_EQ(child_rule_access(ChildPathRights::tmp, 7) & ((1ull << 6) | (1ull << 11)), 0u) << "no device nodes";
}

}  // namespace
}  // namespace kavach::process
