#include "backends/process/mount_plan.hpp"

#include "backends/common/guard_launch.hpp"
#include "backends/common/host_paths.hpp"
#include "backends/common/protected_path.hpp"
#include "core/filesystem_view.hpp"
#include "core/injected_file_rules.hpp"

#include <linux/landlock.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

namespace kavach::process {
namespace fs = std::filesystem;
namespace {

constexpr const char* kNewRoot = "/newroot";
constexpr const char* kOldRoot = "/oldroot";
constexpr const char* kEmptyFile = "/kavach-empty";  // in the scratch root; source of file masks

constexpr std::uint64_t kRoAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
constexpr std::uint64_t kRwAttrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

std::string key_of(const std::vector<common::ProtectedBind>& binds) {
  std::string key;
  for (const auto& b : binds) key += (b.read_only ? "ro:" : "pin:") + b.path.string() + '\n';
  return key;
}

class Builder {
 public:
  explicit Builder(const MountPlanInput& in) : in_(in), view_(in.view) {}

  Result<MountPlan> build();

 private:
  void op(MountOp o, std::string text) {
    plan_.ops.push_back(o);
    plan_.op_text.push_back(std::move(text));
  }
  const char* nr(const fs::path& p) { return plan_.keep(std::string(kNewRoot) + p.string()); }
  const char* old(const fs::path& p) { return plan_.keep(std::string(kOldRoot) + p.string()); }

  void mkdir_parents(const fs::path& target);
  void mkdir_at(const fs::path& target, unsigned mode = 0755);
  Result<void> mount_entry(const common::HostPath& e);
  void mount_tmpfs(const TmpfsView& t);
  void mount_dev();
  void mount_proc();
  void mount_guard();
  Result<void> protect();
  Result<void> inject_files();
  bool covered_by_entry(const fs::path& p) const;

  const MountPlanInput& in_;
  const FilesystemView& view_;
  MountPlan plan_;
  std::vector<common::HostPath> entries_;
  std::set<std::string> made_dirs_;
  bool own_tmp_ = true;
};

void Builder::mkdir_at(const fs::path& target, unsigned mode) {
  if (!made_dirs_.insert(target.string()).second) return;
  MountOp o;
  o.kind = MountKind::mkdir;
  o.target = nr(target);
  o.mode = mode;
  op(o, "mkdir " + target.string());
}

void Builder::mkdir_parents(const fs::path& target) {
  fs::path cur = "/";
  for (auto it = target.begin(); it != target.end(); ++it) {
    if (*it == "/") continue;
    cur /= *it;
    if (cur == target) break;
    mkdir_at(cur);
  }
}

Result<void> Builder::mount_entry(const common::HostPath& e) {
  mkdir_parents(e.target);
  if (e.is_dir) {
    mkdir_at(e.target);
  } else {
    MountOp t;
    t.kind = MountKind::touch;
    t.target = nr(e.target);
    t.mode = 0444;
    op(t, "create mount point " + e.target.string());
  }
  common::UniqueFd tree;
  if (e.writable && in_.writable_tree) {
    auto fd = in_.writable_tree(e.source);
    if (!fd) return tl::unexpected(fd.error());
    tree = std::move(*fd);  // invalid: the caller chose a plain bind instead
  }
  if (tree) {
    MountOp m;
    m.kind = MountKind::move_mount;
    m.fd = tree.get();
    m.target = nr(e.target);
    plan_.fds.push_back(std::move(tree));
    op(m, "attach idmapped " + e.source.string() + " at " + e.target.string());
  } else {
    MountOp b;
    b.kind = MountKind::bind;
    b.source = old(e.source);
    b.target = nr(e.target);
    b.recursive = true;
    b.attrs = e.writable ? kRwAttrs : kRoAttrs;
    op(b, std::string(e.writable ? "bind rw " : "bind ro ") + e.source.string() + " at " +
              e.target.string());
  }
  plan_.landlock_host_rules.push_back(
      {e.source, e.writable ? (kAccessRead | kAccessWrite | kAccessExec) : (kAccessRead | kAccessExec)});
  (e.writable ? plan_.writable_entries : plan_.readonly_entries)++;
  if (e.writable) plan_.writable_targets.push_back(e.target.string());
  return {};
}

void Builder::mount_tmpfs(const TmpfsView& t) {
  mkdir_at(t.target, t.mode);
  MountOp m;
  m.kind = MountKind::tmpfs;
  m.target = nr(t.target);
  m.flags = MS_NOSUID | MS_NODEV | (t.noexec ? MS_NOEXEC : 0);
  char mode[8];
  std::snprintf(mode, sizeof mode, "%o", t.mode);
  m.source = plan_.keep("size=" + std::to_string(t.size_bytes) + ",nr_inodes=" + std::to_string(t.inodes) +
                        ",mode=" + mode);
  op(m, "tmpfs " + t.target.string());
  plan_.landlock_child_rules.emplace_back(t.target.string(), ChildPathRights::tmp);
}

void Builder::mount_dev() {
  const DevView& dev = view_.dev;
  mkdir_at("/dev", dev.mode);
  MountOp t;
  t.kind = MountKind::tmpfs;
  t.target = nr("/dev");
  t.flags = MS_NOSUID | MS_NOEXEC;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", dev.mode);
  t.source = plan_.keep("size=" + std::to_string(dev.size_bytes) + ",mode=" + mode);
  op(t, "tmpfs /dev");
  auto node = [&](const std::string& name, bool optional) {
    const fs::path p = fs::path("/dev") / name;
    MountOp touch;
    touch.kind = MountKind::touch;
    touch.target = nr(p);
    touch.mode = 0666;
    op(touch, "create /dev/" + name);
    MountOp b;
    b.kind = MountKind::bind;
    b.source = old(p);
    b.target = nr(p);
    b.attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
    b.optional = optional;
    op(b, "bind host /dev/" + name);
  };
  for (const auto& n : dev.nodes) node(n, false);
  for (const auto& n : dev.optional_nodes) node(n, true);
  for (const auto& [to, at] : dev.links) {
    MountOp l;
    l.kind = MountKind::symlink;
    l.source = plan_.keep(to);
    l.target = nr(at);
    op(l, "symlink " + at);
  }
  mkdir_at("/dev/pts");
  MountOp pts;
  pts.kind = MountKind::devpts;
  pts.target = nr("/dev/pts");
  pts.flags = MS_NOSUID | MS_NOEXEC;
  pts.source = plan_.keep(dev.pts_options);
  op(pts, "devpts /dev/pts");
  mount_tmpfs(view_.shm);
  plan_.landlock_child_rules.emplace_back("/dev", ChildPathRights::dev);
  plan_.landlock_child_rules.emplace_back("/dev/pts", ChildPathRights::pts);
}

// The guard binary, read-only in the sandbox's own /dev (never a mount point in a host dir).
void Builder::mount_guard() {
  MountOp t;
  t.kind = MountKind::touch;
  t.target = nr(common::kGuardPathInSandbox);
  t.mode = 0555;
  op(t, std::string("create ") + common::kGuardPathInSandbox);
  MountOp b;
  b.kind = MountKind::bind;
  b.source = old(in_.guard_binary);
  b.target = nr(common::kGuardPathInSandbox);
  b.attrs = kRoAttrs;
  op(b, "bind kavach-guard " + in_.guard_binary.string());
  plan_.landlock_child_rules.emplace_back(common::kGuardPathInSandbox, ChildPathRights::file_exec);
}

void Builder::mount_proc() {
  mkdir_at("/proc", 0555);
  MountOp p;
  p.kind = MountKind::proc;
  p.target = nr("/proc");
  p.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  op(p, "procfs /proc");
  for (const auto& f : view_.proc.masked_files) {
    MountOp b;
    b.kind = MountKind::bind;
    b.source = kEmptyFile;
    b.target = nr(fs::path("/proc") / f);
    b.attrs = kRoAttrs | MOUNT_ATTR_NOEXEC;
    b.optional = true;
    op(b, "mask /proc/" + f);
  }
  for (const auto& d : view_.proc.masked_dirs) {
    MountOp t;
    t.kind = MountKind::tmpfs;
    t.target = nr(fs::path("/proc") / d);
    t.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
    t.source = "size=4k,mode=0555";
    t.optional = true;
    op(t, "mask /proc/" + d);
  }
  for (const auto& r : view_.proc.read_only) {
    MountOp b;
    b.kind = MountKind::bind;
    b.source = nr(fs::path("/proc") / r);
    b.target = b.source;
    b.recursive = true;
    b.attrs = kRoAttrs | MOUNT_ATTR_NOEXEC;
    b.optional = true;
    op(b, "read-only /proc/" + r);
  }
  plan_.landlock_child_rules.emplace_back("/proc", ChildPathRights::read);
}

// Protected paths: the binds common::protected_binds computes, each onto itself.
Result<void> Builder::protect() {
  std::vector<fs::path> roots;
  for (const auto& e : entries_) {
    if (e.writable && !e.symlink) roots.push_back(e.target);
  }
  auto binds = common::protected_binds(in_.fs->protected_paths, roots);
  if (!binds) return tl::unexpected(binds.error());
  plan_.protected_roots = roots;
  plan_.protected_key = key_of(*binds);
  for (const auto& pb : *binds) {
    MountOp b;
    b.kind = MountKind::bind;
    b.source = nr(pb.path);
    b.target = b.source;
    b.recursive = true;
    b.attrs = pb.read_only ? kRoAttrs : kRwAttrs;
    op(b, std::string(pb.read_only ? "protect " : "pin ") + pb.path.string());
    if (pb.read_only) plan_.protected_masks++;
  }
  return {};
}

bool Builder::covered_by_entry(const fs::path& p) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const common::HostPath& e) { return is_under(p, e.target); });
}

Result<void> Builder::inject_files() {
  if (in_.files == nullptr) return {};
  std::set<fs::path> seen;
  for (const auto& f : *in_.files) {
    if (auto r = check_injected_file_path(f.path, seen); !r) return r;
    const fs::path p = f.path.lexically_normal();
    const std::string ps = p.string();
    if (covered_by_entry(p)) return tl::unexpected(injected_file_on_host_mount(p));
    mkdir_parents(p);  // in the root tmpfs, the sandbox's /tmp or its /dev/shm
    MountOp w;
    w.kind = MountKind::write_file;
    w.target = nr(p);
    w.source = plan_.keep(f.content);
    w.length = f.content.size();
    w.mode = f.mode & 0777u;
    op(w, "inject file " + ps);
    plan_.landlock_child_rules.emplace_back(ps, ChildPathRights::file_read);
  }
  return {};
}

Result<MountPlan> Builder::build() {
  auto entries = common::resolve_host_paths(in_.fs->readonly_paths, in_.fs->writable_paths);
  if (!entries) return tl::unexpected(entries.error());
  entries_ = std::move(*entries);
  own_tmp_ = view_.tmp.has_value();

  MountOp empty;
  empty.kind = MountKind::touch;
  empty.target = kEmptyFile;
  empty.mode = 0444;
  op(empty, "create mask source");
  made_dirs_.insert("/");
  MountOp root;
  root.kind = MountKind::tmpfs;
  root.target = kNewRoot;
  root.flags = MS_NOSUID | MS_NODEV;
  root.source = plan_.keep("size=" + std::to_string(view_.shm.size_bytes) + ",mode=0755");
  op(root, "tmpfs new root");

  // Binds and links come in path order so every parent exists before its children; the
  // sandbox's own /tmp joins that order so host paths below /tmp stay visible on top of it.
  bool tmp_done = !own_tmp_;
  for (const auto& e : entries_) {
    if (!tmp_done && fs::path("/tmp") < e.target) {
      mount_tmpfs(*view_.tmp);
      tmp_done = true;
    }
    if (!e.symlink) {
      if (auto r = mount_entry(e); !r) return tl::unexpected(r.error());
      continue;
    }
    mkdir_parents(e.target);
    MountOp l;
    l.kind = MountKind::symlink;
    l.source = plan_.keep(e.link_text);
    l.target = nr(e.target);
    op(l, "symlink " + e.target.string() + " -> " + e.link_text);
  }
  if (!tmp_done) mount_tmpfs(*view_.tmp);
  mount_dev();
  if (!in_.guard_binary.empty()) mount_guard();
  if (in_.mount_proc) mount_proc();
  if (auto r = protect(); !r) return tl::unexpected(r.error());
  if (auto r = inject_files(); !r) return tl::unexpected(r.error());

  MountOp dev_ro;
  dev_ro.kind = MountKind::set_attrs;
  dev_ro.target = nr("/dev");
  dev_ro.attrs = MOUNT_ATTR_RDONLY;
  op(dev_ro, "read-only /dev");
  if (view_.readonly_root) {
    MountOp ro;
    ro.kind = MountKind::set_attrs;
    ro.target = kNewRoot;
    ro.attrs = kRoAttrs;
    op(ro, "read-only root");
  }
  plan_.landlock_child_rules.emplace_back("/", ChildPathRights::read_dir_only);
  plan_.workdir = view_.workdir;
  return std::move(plan_);
}

}  // namespace

const char* MountPlan::keep(std::string s) {
  strings_.push_back(std::move(s));
  return strings_.back().c_str();
}

Result<MountPlan> build_mount_plan(const MountPlanInput& in) { return Builder(in).build(); }

std::uint64_t child_rule_access(ChildPathRights rights, int abi) {
  // Access bits newer than Debian 12's <linux/landlock.h> (stable kernel ABI values).
  constexpr std::uint64_t kTruncate = 1ull << 14;  // ABI 3
  constexpr std::uint64_t kIoctlDev = 1ull << 15;  // ABI 5
  std::uint64_t handled = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1
  if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) handled |= kTruncate;
  if (abi >= 5) handled |= kIoctlDev;
  const std::uint64_t truncate = kTruncate;
  const std::uint64_t ioctl_dev = kIoctlDev;
  const std::uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  const std::uint64_t file_rw = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | truncate;
  std::uint64_t want = 0;
  switch (rights) {
    case ChildPathRights::read_dir_only: want = LANDLOCK_ACCESS_FS_READ_DIR; break;
    case ChildPathRights::read: want = read; break;
    case ChildPathRights::file_read: want = LANDLOCK_ACCESS_FS_READ_FILE; break;
    case ChildPathRights::file_exec: want = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_EXECUTE; break;
    case ChildPathRights::dev: want = read | file_rw | ioctl_dev; break;
    case ChildPathRights::pts: want = read | file_rw | ioctl_dev; break;
    case ChildPathRights::device_file: want = file_rw | ioctl_dev; break;
    case ChildPathRights::tmp:
      // Everything but device nodes (the tmpfs is nodev anyway).
      want = handled & ~(static_cast<std::uint64_t>(LANDLOCK_ACCESS_FS_MAKE_CHAR) |
                         LANDLOCK_ACCESS_FS_MAKE_BLOCK);
      break;
  }
  return want & handled;
}

std::string protected_binds_key(const std::vector<std::filesystem::path>& protected_paths,
                                const std::vector<std::filesystem::path>& roots) {
  auto binds = common::protected_binds(protected_paths, roots);
  if (!binds) return "error:" + binds.error().message;
  return key_of(*binds);
}

}  // namespace kavach::process
