#include "backends/oci/mount_plan.hpp"

#include "backends/common/egress_bridge.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/common/protected_path.hpp"
#include "backends/common/tmpfs_limits.hpp"
#include "core/injected_file_rules.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

namespace kavach::oci {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRo = {"bind", "ro", "nosuid", "nodev"};
const std::vector<std::string> kRw = {"bind", "rw", "nosuid", "nodev"};

bool is_under(const fs::path& p, const fs::path& root) {
  auto pi = p.begin();
  for (auto ri = root.begin(); ri != root.end(); ++ri, ++pi) {
    if (pi == p.end() || *pi != *ri) return false;
  }
  return true;
}

std::string tmpfs_size(std::uint64_t bytes) { return "size=" + std::to_string(bytes); }
std::string tmpfs_inodes(std::uint64_t bytes) {
  return "nr_inodes=" + std::to_string(common::tmpfs_inode_limit(bytes));
}

class Planner {
 public:
  explicit Planner(const MountPlanInput& in) : in_(in), policy_(*in.policy) {}

  Result<MountPlan> run() {
    base_mounts();
    if (auto r = readonly(); !r) return tl::unexpected(r.error());
    writable();
    if (auto r = protect(); !r) return tl::unexpected(r.error());
    if (auto r = inject(); !r) return tl::unexpected(r.error());
    // Parents before children (component-wise order); stable keeps a bind after a tmpfs on
    // the same destination.
    std::stable_sort(plan_.mounts.begin(), plan_.mounts.end(), [](const OciMount& a, const OciMount& b) {
      return fs::path(a.destination) < fs::path(b.destination);
    });
    plan_.cwd = policy_.fs.workdir.empty() ? "/" : policy_.fs.workdir.lexically_normal().string();
    return std::move(plan_);
  }

 private:
  void add(std::string dest, std::string type, std::string source, std::vector<std::string> options) {
    plan_.mounts.push_back({std::move(dest), std::move(type), std::move(source), std::move(options)});
  }

  bool bound_writable(const fs::path& p) const {
    return std::any_of(policy_.fs.writable_paths.begin(), policy_.fs.writable_paths.end(),
                       [&](const fs::path& w) { return w.lexically_normal() == p; });
  }

  void base_mounts() {
    const std::uint64_t tmp = policy_.limits.tmpfs_bytes;
    add("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"});
    add("/dev", "tmpfs", "tmpfs", {"nosuid", "noexec", "strictatime", "mode=755", "size=65536k"});
    add("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
    add("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", tmpfs_size(tmp), tmpfs_inodes(tmp)});
    if (!bound_writable("/tmp")) {
      add("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777", tmpfs_size(tmp), tmpfs_inodes(tmp)});
    }
    if (in_.readonly_sysfs) add("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
    if (!in_.guard_binary.empty()) add(common::kGuardPathInSandbox, "bind", in_.guard_binary.string(), kRo);
    if (!in_.egress_bridge_binary.empty()) {
      add(common::kEgressBridgePathInSandbox, "bind", in_.egress_bridge_binary.string(), kRo);
      add(common::kEgressSocketDirInSandbox, "bind", in_.egress_socket_dir.string(), kRo);
    }
  }

  // A host-view directory that is a symlink (merged /usr: /bin -> usr/bin) becomes the same
  // link in the rootfs when its target is shown too; otherwise its target is bound in its place.
  Result<void> readonly() {
    std::vector<fs::path> shown;
    for (const auto& p : policy_.fs.readonly_paths) {
      if (in_.rootfs != RootfsKind::host_view && is_system_dir(p)) continue;
      shown.push_back(p.lexically_normal());
    }
    for (const auto& p : shown) {
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0) {
        return fail(ErrorCode::path_not_found, "fs.readonly_paths: '" + p.string() + "' does not exist on this host",
                    {{"path", p.string()}});
      }
      if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        const fs::path target = fs::canonical(p, ec);
        if (ec) {
          return fail(ErrorCode::path_not_found,
                      "fs.readonly_paths: symlink '" + p.string() + "' is dangling: " + ec.message(),
                      {{"path", p.string()}});
        }
        const bool top_level = p.parent_path() == p.root_path();
        const bool target_shown = std::any_of(shown.begin(), shown.end(), [&](const fs::path& s) {
          return s != p && is_under(target, s);
        });
        if (in_.rootfs == RootfsKind::host_view && top_level && target_shown) {
          plan_.symlinks.push_back({p.string(), fs::read_symlink(p, ec).string()});
          continue;
        }
        add(p.string(), "bind", target.string(), kRo);
      } else {
        add(p.string(), "bind", p.string(), kRo);
      }
      plan_.readonly_binds++;
    }
    return {};
  }

  void writable() {
    for (const auto& w : policy_.fs.writable_paths) {
      const fs::path p = w.lexically_normal();
      const std::string source = in_.writable_source ? in_.writable_source(p) : p.string();
      add(p.string(), "bind", source, kRw);
      plan_.writable_binds++;
      plan_.writable_targets.push_back(p.string());
    }
  }

  // As the process backend: every existing component between the writable root and the
  // protected path is pinned by a bind onto itself (a mount point cannot be renamed away) and
  // the path itself is bound read-only. What does not exist is left alone (nothing is created on
  // the host): kavach-guard refuses creating it, at every depth.
  Result<void> protect() {
    std::vector<fs::path> writable;
    for (const auto& w : policy_.fs.writable_paths) writable.push_back(w.lexically_normal());
    std::vector<fs::path> candidates;
    for (const auto& p : policy_.fs.protected_paths) {
      if (p.empty()) continue;
      if (p.is_absolute()) {
        candidates.push_back(p.lexically_normal());
      } else {
        for (const auto& w : writable) candidates.push_back((w / p).lexically_normal());
      }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    std::set<std::string> pinned;
    for (const auto& c : candidates) {
      const fs::path* root = nullptr;
      for (const auto& w : writable) {
        if (is_under(c, w) && (root == nullptr || w.string().size() > root->string().size())) root = &w;
      }
      if (root == nullptr || c == *root) continue;  // not writable here: read-only already
      // Binds inside a writable path come from the same (possibly idmapped) tree as the path.
      const fs::path source_root = in_.writable_source ? fs::path(in_.writable_source(*root)) : *root;
      auto steps = common::protected_path_steps(*root, c.lexically_relative(*root));
      if (!steps) return tl::unexpected(steps.error());
      for (const auto& step : *steps) {
        const std::string cur = step.path.string();
        if (!step.exists) break;
        const bool read_only = step.last || !step.is_dir;
        if (pinned.insert(cur).second) {
          add(cur, "bind", (source_root / step.path.lexically_relative(*root)).string(), read_only ? kRo : kRw);
          if (read_only) plan_.protected_masks++;
        }
      }
    }
    return {};
  }

  // Injected files: the rules every backend applies, and never onto a host bind (the file would
  // need a mount point in a host directory).
  Result<void> inject() {
    std::set<fs::path> seen;
    for (const auto& [path, source] : in_.injected_files) {
      if (auto r = check_injected_file_path(path, seen); !r) return r;
      for (const auto& m : plan_.mounts) {
        if (m.type == "bind" && is_under(path, m.destination)) return tl::unexpected(injected_file_on_host_mount(path));
      }
      add(path.string(), "bind", source.string(), kRo);
    }
    return {};
  }

  const MountPlanInput& in_;
  const SandboxPolicy& policy_;
  MountPlan plan_;
};

}  // namespace

const char* to_string(RootfsKind k) {
  switch (k) {
    case RootfsKind::host_view: return "host-view";
    case RootfsKind::directory: return "directory";
    case RootfsKind::image: return "image";
  }
  return "host-view";
}

bool is_system_dir(const std::filesystem::path& p) {
  static const std::set<std::string> dirs = {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"};
  return dirs.count(p.lexically_normal().string()) != 0;
}

Result<MountPlan> plan_mounts(const MountPlanInput& in) {
  if (in.policy == nullptr) return fail(ErrorCode::internal, "plan_mounts without a policy");
  return Planner(in).run();
}

}  // namespace kavach::oci
