// One filesystem view (core/filesystem_view.hpp), two renderers: the process backend's mount
// operations and the OCI backend's config.json mounts/maskedPaths/readonlyPaths. Each policy is
// rendered by both and what each renderer produced is read back into the same shape; the two
// must be equal to each other and to the view (issue 15's drift table, one row per check).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "backends/oci/mount_plan.hpp"
#include "backends/process/mount_plan.hpp"
#include "core/filesystem_view.hpp"
#include "kavach/policy.hpp"

namespace kavach {
namespace {

namespace fs = std::filesystem;

// What a renderer made of the view, in backend-neutral terms.
struct Rendered {
  std::set<std::string> proc_masked;    // /proc/X
  std::set<std::string> proc_readonly;  // /proc/X
  std::set<std::string> dev_nodes;      // names under /dev taken from the host
  std::string dev_size;                 // "size=N"
  bool shm_noexec = false;
  std::string shm_size;
  bool tmp_own = false;
  bool tmp_noexec = false;
  std::string tmp_size;
  std::set<std::string> protect_ro;  // protected paths bound read-only
  std::set<std::string> pins;        // components pinned on the way
  std::set<std::string> ro_binds;    // host paths: "target <- source"
  std::set<std::string> rw_binds;
  std::set<std::string> links;       // "target -> link text"
};

std::string option_with(const std::vector<std::string>& opts, const std::string& prefix) {
  for (const auto& o : opts) {
    if (o.rfind(prefix, 0) == 0) return o;
  }
  return {};
}

std::string field(const std::string& data, const std::string& prefix) {
  std::size_t b = 0;
  while (b <= data.size()) {
    std::size_t e = data.find(',', b);
    if (e == std::string::npos) e = data.size();
    if (data.compare(b, prefix.size(), prefix) == 0) return data.substr(b, e - b);
    b = e + 1;
  }
  return {};
}

Result<Rendered> render_process(const SandboxPolicy& p) {
  process::MountPlanInput in;
  in.fs = &p.fs;
  in.view = filesystem_view(p);
  auto plan = process::build_mount_plan(in);
  if (!plan) return tl::unexpected(plan.error());
  Rendered r;
  for (std::size_t i = 0; i < plan->ops.size(); ++i) {
    const std::string& text = plan->op_text[i];
    const auto& op = plan->ops[i];
    auto after = [&](const std::string& prefix) { return text.substr(prefix.size()); };
    if (text.rfind("mask /proc/", 0) == 0) r.proc_masked.insert(after("mask "));
    if (text.rfind("read-only /proc/", 0) == 0) r.proc_readonly.insert(after("read-only "));
    if (text.rfind("bind host /dev/", 0) == 0) r.dev_nodes.insert(after("bind host /dev/"));
    if (text.rfind("protect ", 0) == 0) r.protect_ro.insert(after("protect "));
    if (text.rfind("pin ", 0) == 0) r.pins.insert(after("pin "));
    for (const char* kind : {"bind ro ", "bind rw "}) {
      if (text.rfind(kind, 0) != 0) continue;
      const auto at = text.find(" at ");
      (kind[6] == 'o' ? r.ro_binds : r.rw_binds).insert(text.substr(at + 4) + " <- " + text.substr(8, at - 8));
    }
    if (text.rfind("symlink /", 0) == 0) r.links.insert(after("symlink "));
    if (text == "tmpfs /dev") r.dev_size = field(op.source, "size=");
    if (text == "tmpfs /dev/shm") {
      r.shm_noexec = (op.flags & MS_NOEXEC) != 0;
      r.shm_size = field(op.source, "size=");
    }
    if (text == "tmpfs /tmp") {
      r.tmp_own = true;
      r.tmp_noexec = (op.flags & MS_NOEXEC) != 0;
      r.tmp_size = field(op.source, "size=");
    }
  }
  return r;
}

Result<Rendered> render_oci(const SandboxPolicy& p) {
  oci::MountPlanInput in;
  in.policy = &p;
  auto plan = oci::plan_mounts(in);
  if (!plan) return tl::unexpected(plan.error());
  Rendered r;
  r.proc_masked.insert(plan->masked_paths.begin(), plan->masked_paths.end());
  r.proc_readonly.insert(plan->readonly_paths.begin(), plan->readonly_paths.end());
  // runc and crun create these in every container's /dev (runtime-spec "Default Devices").
  r.dev_nodes = {"null", "zero", "full", "random", "urandom", "tty"};
  auto has = [](const std::vector<std::string>& o, const char* x) { return std::find(o.begin(), o.end(), x) != o.end(); };
  for (const auto& l : plan->symlinks) r.links.insert(l.name + " -> " + l.target);
  for (const auto& m : plan->mounts) {
    if (m.destination == "/dev") r.dev_size = option_with(m.options, "size=");
    if (m.destination == "/dev/shm") {
      r.shm_noexec = has(m.options, "noexec");
      r.shm_size = option_with(m.options, "size=");
    }
    if (m.destination == "/tmp" && m.type == "tmpfs") {
      r.tmp_own = true;
      r.tmp_noexec = has(m.options, "noexec");
      r.tmp_size = option_with(m.options, "size=");
    }
    if (m.type == "bind" && m.destination == m.source && has(m.options, "ro")) r.protect_ro.insert(m.destination);
    const bool writable_root = has(plan->writable_targets, m.destination.c_str());
    // Host paths: read-only binds outside the writable roots (inside: protected paths), and
    // the writable roots themselves.
    const bool in_writable = std::any_of(plan->writable_targets.begin(), plan->writable_targets.end(),
                                         [&](const std::string& w) { return m.destination.rfind(w + "/", 0) == 0; });
    if (m.type == "bind" && has(m.options, "ro") && !in_writable) r.ro_binds.insert(m.destination + " <- " + m.source);
    if (m.type == "bind" && writable_root) r.rw_binds.insert(m.destination + " <- " + m.source);
    if (m.type == "bind" && m.destination == m.source && has(m.options, "rw") && !writable_root) {
      r.pins.insert(m.destination);
    }
  }
  return r;
}

// The host binds of system directories are the same in both (a read-only bind onto itself on
// OCI): keep only what lies in the writable test tree.
void keep_under(std::set<std::string>& s, const fs::path& root) {
  for (auto it = s.begin(); it != s.end();) {
    it = it->rfind(root.string(), 0) == 0 ? std::next(it) : s.erase(it);
  }
}

class FilesystemViewRenderers : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("kavach-fsview-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "work" / ".git" / "hooks");
    std::ofstream(root_ / "work" / ".env") << "X=1\n";
  }
  void TearDown() override { fs::remove_all(root_); }

  SandboxPolicy policy() const {
    SandboxPolicy p;
    p.fs.readonly_paths = {"/usr", "/etc"};
    p.fs.writable_paths = {root_ / "work"};
    p.fs.protected_paths = {".git/hooks", ".env", ".vscode"};
    p.limits.tmpfs_bytes = 16u << 20;
    return p;
  }

  fs::path root_;
};

TEST_F(FilesystemViewRenderers, BothRenderTheSameViewAsTheViewSays) {
  const SandboxPolicy p = policy();
  const FilesystemView view = filesystem_view(p);
  auto proc = render_process(p);
  ASSERT_TRUE(proc.has_value()) << proc.error().describe();
  auto oci = render_oci(p);
  ASSERT_TRUE(oci.has_value()) << oci.error().describe();
  keep_under(proc->protect_ro, root_ / "work");
  keep_under(oci->protect_ro, root_ / "work");
  keep_under(proc->pins, root_);
  keep_under(oci->pins, root_);

  std::set<std::string> masked;
  for (const auto& f : view.proc.masked_files) masked.insert("/proc/" + f);
  for (const auto& d : view.proc.masked_dirs) masked.insert("/proc/" + d);
  std::set<std::string> readonly;
  for (const auto& r : view.proc.read_only) readonly.insert("/proc/" + r);
  std::set<std::string> nodes(view.dev.nodes.begin(), view.dev.nodes.end());
  nodes.insert(view.dev.optional_nodes.begin(), view.dev.optional_nodes.end());
  const std::string size = "size=" + std::to_string(p.limits.tmpfs_bytes);

  for (const Rendered* r : {&*proc, &*oci}) {
    const char* who = r == &*proc ? "process" : "oci";
    EXPECT_EQ(r->proc_masked, masked) << who;
    EXPECT_EQ(r->proc_readonly, readonly) << who;
    EXPECT_EQ(r->dev_nodes, nodes) << who;
    EXPECT_EQ(r->dev_size, "size=" + std::to_string(view.dev.size_bytes)) << who;
    EXPECT_TRUE(r->shm_noexec) << who;
    EXPECT_EQ(r->shm_size, size) << who;
    EXPECT_TRUE(r->tmp_own) << who;
    EXPECT_FALSE(r->tmp_noexec) << who;
    EXPECT_EQ(r->tmp_size, size) << who;
    // .git/hooks (a directory) and .env (a file) exist: read-only; .git is pinned on the way;
    // .vscode does not exist: left to the guard, no bind.
    EXPECT_EQ(r->protect_ro, (std::set<std::string>{(root_ / "work/.git/hooks").string(),
                                                     (root_ / "work/.env").string()}))
        << who;
    EXPECT_EQ(r->pins, (std::set<std::string>{(root_ / "work/.git").string()})) << who;
  }
}

TEST_F(FilesystemViewRenderers, AWritableHostTmpReplacesThePrivateOneOnBoth) {
  SandboxPolicy p = policy();
  p.fs.writable_paths.push_back("/tmp");
  EXPECT_FALSE(filesystem_view(p).tmp.has_value());
  auto proc = render_process(p);
  ASSERT_TRUE(proc.has_value()) << proc.error().describe();
  auto oci = render_oci(p);
  ASSERT_TRUE(oci.has_value()) << oci.error().describe();
  EXPECT_FALSE(proc->tmp_own);
  EXPECT_FALSE(oci->tmp_own);
}

// Host paths given through symbolic links: resolved once (common::resolve_host_paths), so both
// show a link whose target is shown as the same link, bind one whose target is not, and bind a
// writable path at its real path with the link beside it.
TEST_F(FilesystemViewRenderers, LinkedHostPathsAreTheSameOnBoth) {
  fs::create_directories(root_ / "data");
  fs::create_directories(root_ / "hidden");
  fs::create_directory_symlink(root_ / "data", root_ / "data-link");
  fs::create_directory_symlink(root_ / "hidden", root_ / "lonely-link");
  fs::create_directory_symlink(root_ / "work", root_ / "work-link");
  SandboxPolicy p = policy();
  p.fs.readonly_paths = {"/usr", "/etc", root_ / "data-link", root_ / "data", root_ / "lonely-link"};
  p.fs.writable_paths = {root_ / "work-link"};
  auto proc = render_process(p);
  ASSERT_TRUE(proc.has_value()) << proc.error().describe();
  auto oci = render_oci(p);
  ASSERT_TRUE(oci.has_value()) << oci.error().describe();
  for (Rendered* r : {&*proc, &*oci}) {
    keep_under(r->ro_binds, root_);
    keep_under(r->rw_binds, root_);
    keep_under(r->links, root_);
  }
  const std::string d = root_.string();
  EXPECT_EQ(proc->ro_binds, (std::set<std::string>{d + "/data <- " + d + "/data", d + "/lonely-link <- " + d + "/hidden"}));
  EXPECT_EQ(proc->rw_binds, (std::set<std::string>{d + "/work <- " + d + "/work"}));
  EXPECT_EQ(proc->links, (std::set<std::string>{d + "/data-link -> " + d + "/data", d + "/work-link -> " + d + "/work"}));
  EXPECT_EQ(oci->ro_binds, proc->ro_binds);
  EXPECT_EQ(oci->rw_binds, proc->rw_binds);
  EXPECT_EQ(oci->links, proc->links);
  // The protected paths are bound inside the real work directory on both.
  keep_under(proc->protect_ro, root_ / "work");
  keep_under(oci->protect_ro, root_ / "work");
  EXPECT_EQ(proc->protect_ro, (std::set<std::string>{d + "/work/.git/hooks", d + "/work/.env"}));
  EXPECT_EQ(oci->protect_ro, proc->protect_ro);
}

TEST_F(FilesystemViewRenderers, APathListedBothWaysIsRefusedByBoth) {
  SandboxPolicy p = policy();
  p.fs.readonly_paths.push_back(root_ / "work");
  auto proc = render_process(p);
  auto oci = render_oci(p);
  ASSERT_FALSE(proc.has_value());
  ASSERT_FALSE(oci.has_value());
  EXPECT_EQ(proc.error().code, ErrorCode::policy_value) << proc.error().describe();
  EXPECT_EQ(oci.error().message, proc.error().message);
}

TEST_F(FilesystemViewRenderers, ReservedPathsAreRefusedByBoth) {
  struct Case {
    const char* name;
    bool writable;
    fs::path path;
  };
  for (const Case& c : {Case{"whole host read-only", false, "/"}, Case{"whole host writable", true, "/"},
                        Case{"in /proc", false, "/proc/sys"}, Case{"in /dev", true, "/dev/shm"}}) {
    SandboxPolicy p = policy();
    (c.writable ? p.fs.writable_paths : p.fs.readonly_paths).push_back(c.path);
    auto proc = render_process(p);
    auto oci = render_oci(p);
    ASSERT_FALSE(proc.has_value()) << c.name;
    ASSERT_FALSE(oci.has_value()) << c.name;
    EXPECT_EQ(proc.error().code, ErrorCode::policy_value) << c.name << ": " << proc.error().describe();
    EXPECT_EQ(oci.error().code, ErrorCode::policy_value) << c.name << ": " << oci.error().describe();
  }
}

}  // namespace
}  // namespace kavach
