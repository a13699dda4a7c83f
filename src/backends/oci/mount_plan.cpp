#include "backends/oci/mount_plan.hpp"

#include "backends/common/egress_bridge.hpp"
#include "backends/common/guard_launch.hpp"
#include "backends/common/host_paths.hpp"
#include "backends/common/protected_path.hpp"
#include "core/filesystem_view.hpp"
#include "core/injected_file_rules.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace kavach::oci {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRo = {"bind", "ro", "nosuid", "nodev"};
const std::vector<std::string> kRw = {"bind", "rw", "nosuid", "nodev"};

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%o", mode);
  return buf;
}

// A private tmpfs of the view as an OCI mount.
std::vector<std::string> tmpfs_options(const TmpfsView& t) {
  std::vector<std::string> o = {"nosuid", "nodev"};
  if (t.noexec) o.emplace_back("noexec");
  o.push_back("mode=" + octal(t.mode));
  o.push_back("size=" + std::to_string(t.size_bytes));
  o.push_back("nr_inodes=" + std::to_string(t.inodes));
  return o;
}

class Planner {
 public:
  explicit Planner(const MountPlanInput& in) : in_(in), policy_(*in.policy), view_(filesystem_view(policy_)) {}

  Result<MountPlan> run() {
    base_mounts();
    if (auto r = host_paths(); !r) return tl::unexpected(r.error());
    if (auto r = protect(); !r) return tl::unexpected(r.error());
    if (auto r = inject(); !r) return tl::unexpected(r.error());
    // Parents before children (component-wise order); stable keeps a bind after a tmpfs on
    // the same destination.
    std::stable_sort(plan_.mounts.begin(), plan_.mounts.end(), [](const OciMount& a, const OciMount& b) {
      return fs::path(a.destination) < fs::path(b.destination);
    });
    plan_.cwd = view_.workdir;
    return std::move(plan_);
  }

 private:
  void add(std::string dest, std::string type, std::string source, std::vector<std::string> options) {
    plan_.mounts.push_back({std::move(dest), std::move(type), std::move(source), std::move(options)});
  }

  // The view's /proc, /dev, /dev/pts, /dev/shm and /tmp. The runtime masks /proc (maskedPaths,
  // readonlyPaths: spec.cpp, from the same view) and creates the view's device nodes (runc and
  // crun create exactly that set; the test FilesystemViewRenderers checks it).
  void base_mounts() {
    add("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"});
    add("/dev", "tmpfs", "tmpfs",
        {"nosuid", "noexec", "strictatime", "mode=" + octal(view_.dev.mode), "size=" + std::to_string(view_.dev.size_bytes)});
    std::vector<std::string> pts = {"nosuid", "noexec"};
    for (std::size_t b = 0, e = 0; b <= view_.dev.pts_options.size(); b = e + 1) {
      e = view_.dev.pts_options.find(',', b);
      if (e == std::string::npos) e = view_.dev.pts_options.size();
      pts.push_back(view_.dev.pts_options.substr(b, e - b));
    }
    add("/dev/pts", "devpts", "devpts", std::move(pts));
    add(view_.shm.target.string(), "tmpfs", "shm", tmpfs_options(view_.shm));
    if (view_.tmp) add(view_.tmp->target.string(), "tmpfs", "tmpfs", tmpfs_options(*view_.tmp));
    for (const auto& f : view_.proc.masked_files) plan_.masked_paths.push_back("/proc/" + f);
    for (const auto& d : view_.proc.masked_dirs) plan_.masked_paths.push_back("/proc/" + d);
    for (const auto& r : view_.proc.read_only) plan_.readonly_paths.push_back("/proc/" + r);
    if (in_.readonly_sysfs) {
      add("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"});
      for (const auto& s : view_.sys_masked) plan_.masked_paths.push_back(s);
    }
    if (!in_.guard_binary.empty()) add(common::kGuardPathInSandbox, "bind", in_.guard_binary.string(), kRo);
    if (!in_.egress_bridge_binary.empty()) {
      add(common::kEgressBridgePathInSandbox, "bind", in_.egress_bridge_binary.string(), kRo);
      add(common::kEgressSocketDirInSandbox, "bind", in_.egress_socket_dir.string(), kRo);
    }
  }

  // The policy's host paths, resolved as for every backend (common::resolve_host_paths); a
  // custom root filesystem brings its own system directories. A link is recreated in the rootfs
  // only in the host view (kavach owns that root; a rootfs directory is the user's): elsewhere
  // the link's target is bound at its path.
  Result<void> host_paths() {
    std::vector<fs::path> readonly;
    for (const auto& p : policy_.fs.readonly_paths) {
      if (in_.rootfs == RootfsKind::host_view || !is_system_dir(p)) readonly.push_back(p);
    }
    auto entries = common::resolve_host_paths(readonly, policy_.fs.writable_paths);
    if (!entries) return tl::unexpected(entries.error());
    for (const auto& e : *entries) {
      if (e.symlink && in_.rootfs == RootfsKind::host_view) {
        plan_.symlinks.push_back({e.target.string(), e.link_text});
        continue;
      }
      if (!e.writable) {
        add(e.target.string(), "bind", e.source.string(), kRo);
        plan_.readonly_binds++;
        continue;
      }
      add(e.target.string(), "bind", in_.writable_source ? in_.writable_source(e.source) : e.source.string(), kRw);
      if (e.symlink) continue;
      plan_.writable_binds++;
      plan_.writable_targets.push_back(e.target.string());
      writable_.push_back(e.target);
    }
    return {};
  }

  // Protected paths: the binds common::protected_binds computes. Binds inside a writable path
  // come from the same (possibly idmapped) tree as the path.
  Result<void> protect() {
    auto binds = common::protected_binds(policy_.fs.protected_paths, writable_);
    if (!binds) return tl::unexpected(binds.error());
    for (const auto& pb : *binds) {
      const fs::path source_root = in_.writable_source ? fs::path(in_.writable_source(pb.root)) : pb.root;
      add(pb.path.string(), "bind", (source_root / pb.path.lexically_relative(pb.root)).string(),
          pb.read_only ? kRo : kRw);
      if (pb.read_only) plan_.protected_masks++;
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
  const FilesystemView view_;
  MountPlan plan_;
  std::vector<fs::path> writable_;  // where the writable paths are bound (their real paths)
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
