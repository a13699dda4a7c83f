// `kavach gc`: what earlier container runs left behind, found through kavach's own runtime roots
// and the owner record each bundle carries (pid + start time of the kavach process); and the
// disk quotas of runs of either backend whose kavach process is gone.
#include <dirent.h>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends/common/disk_quota.hpp"
#include "backends/oci/bundle.hpp"
#include "backends/oci/container_run.hpp"
#include "backends/oci/state_dirs.hpp"
#include "backends/oci/tool_process.hpp"
#include "kavach/gc.hpp"
#include "kavach/host.hpp"

namespace kavach {
namespace {

namespace fs = std::filesystem;
using oci::kContainerPrefix;

struct BundleRecord {
  fs::path dir;
  bool readable = false;
  oci::Owner owner;
  std::string runtime;
  std::string runtime_path;
  std::vector<std::string> global_args;
  bool alive = false;
};

bool has_prefix(const std::string& s) { return s.rfind(kContainerPrefix, 0) == 0; }

BundleRecord read_bundle(const fs::path& dir) {
  BundleRecord r;
  r.dir = dir;
  std::ifstream in(dir / oci::kOwnerFile);
  try {
    const auto j = nlohmann::json::parse(in);
    r.owner.pid = j.at("pid").get<pid_t>();
    r.owner.start_time = j.at("start_time").get<std::uint64_t>();
    r.runtime = j.value("runtime", "");
    r.runtime_path = j.value("runtime_path", "");
    r.global_args = j.value("global_args", std::vector<std::string>{});
    r.readable = true;
    r.alive = oci::owner_alive(r.owner);
  } catch (const std::exception&) {
    // No (complete) owner record: a run that died while creating its bundle — or one that is
    // creating it right now. Young directories are left alone.
    struct stat st {};
    r.alive = ::stat(dir.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < 60;
  }
  return r;
}

void record(GcReport& rep, GcEntry e) {
  if (e.action == "removed" || e.action == "would remove") ++rep.removed;
  else if (e.action.rfind("kept", 0) == 0) ++rep.kept;
  else ++rep.failed;
  rep.entries.push_back(std::move(e));
}

std::string owner_text(const BundleRecord& b) {
  return b.readable ? "owner pid " + std::to_string(b.owner.pid) : "no owner record";
}

// Cgroup directories named after our containers, under every hierarchy's kavach/ parent.
std::vector<fs::path> container_cgroups(const HostInfo& host) {
  std::set<fs::path> parents;
  auto add = [&](const std::string& mount, const std::string& own) {
    parents.insert(fs::path(mount) / "kavach");
    parents.insert((fs::path(mount) / fs::path(own).relative_path() / "kavach").lexically_normal());
  };
  for (const auto& [ctrl, mount] : host.cgroups.v1_mounts) {
    const auto own = host.cgroups.own_paths.find(ctrl);
    add(mount, own == host.cgroups.own_paths.end() ? "/" : own->second);
  }
  if (!host.cgroups.v2_mount.empty()) {
    const auto own = host.cgroups.own_paths.find("v2");
    add(host.cgroups.v2_mount, own == host.cgroups.own_paths.end() ? "/" : own->second);
  }
  std::vector<fs::path> out;
  for (const auto& p : parents) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      if (e.is_directory() && has_prefix(e.path().filename().string())) out.push_back(e.path());
    }
  }
  return out;
}

}  // namespace

Result<GcReport> collect_garbage(bool dry_run) {
  GcReport rep;
  // Both bases: on disk (oci) and memory-backed for runs carrying secrets (oci-mem).
  const std::vector<oci::StateDirs> all_dirs = oci::existing_state_dirs();
  const HostInfo& host = probe_host_cached();

  std::map<std::string, BundleRecord> bundles;  // id -> record
  for (const auto& dirs : all_dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dirs.bundles(), ec)) {
      const std::string id = e.path().filename().string();
      if (has_prefix(id)) bundles.emplace(id, read_bundle(e.path()));
    }
  }
  std::set<std::string> live_ids;
  for (const auto& [id, b] : bundles) {
    if (b.alive) live_ids.insert(id);
  }
  // The listing above is a snapshot; runs keep starting while gc works (deleting one container
  // can take seconds). Before removing anything, ask again: a run whose bundle appeared since,
  // or whose cgroup was made a moment ago and is empty only because its runtime has not moved
  // the sandbox in yet, is alive.
  auto alive_now = [&](const std::string& id) {
    if (live_ids.count(id) != 0) return true;
    for (const auto& dirs : all_dirs) {
      const fs::path dir = dirs.bundles() / id;
      std::error_code ec;
      if (fs::exists(dir, ec) && read_bundle(dir).alive) return true;
    }
    return false;
  };
  auto young = [](const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < 60;
  };

  // Containers in our runtime roots.
  for (const auto& dirs : all_dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dirs.base / "state", ec)) {
      const std::string runtime = e.path().filename().string();
      const auto bin = host.runtimes.find(runtime);
      if (bin == host.runtimes.end()) continue;
      oci::RuntimeCommand rt;
      rt.runtime.name = runtime;
      rt.runtime.path = bin->second;
      rt.global_args = {"--root", e.path().string()};
      auto listed = oci::run_tool(rt.argv({"list", "--quiet"}), std::chrono::seconds(10));
      if (!listed || !listed->ok()) {
        record(rep, {"container", e.path().string(), runtime,
                     "failed: cannot list: " + (listed ? listed->describe(runtime + " list") : listed.error().message)});
        continue;
      }
      std::istringstream ids(listed->out);
      std::string id;
      while (std::getline(ids, id)) {
        if (!has_prefix(id)) continue;
        if (live_ids.count(id) != 0) {
          record(rep, {"container", id, runtime, "kept: " + owner_text(bundles.at(id)) + " alive"});
          continue;
        }
        if (alive_now(id)) {
          record(rep, {"container", id, runtime, "kept: started while gc ran"});
          continue;
        }
        if (dry_run) {
          record(rep, {"container", id, runtime, "would remove"});
          continue;
        }
        // The flags it was created with (runsc wants them repeated), when the bundle still says.
        if (auto b = bundles.find(id); b != bundles.end() && !b->second.global_args.empty()) {
          rt.global_args = b->second.global_args;
        }
        // Kill first: `runsc delete --force` of a sandbox whose `runsc run` parent died waits for
        // a graceful stop that never comes ("context deadline exceeded").
        (void)oci::run_tool(rt.argv({"kill", id, "KILL"}), std::chrono::seconds(5));
        auto del = oci::delete_container(rt, id);
        rt.global_args = {"--root", e.path().string()};
        if (!del && !oci::container_known(rt, id)) del = {};  // gone after all
        record(rep, {"container", id, runtime, del ? "removed" : "failed: " + del.error().message});
      }
    }
  }

  // Bundle directories (unmounting stale idmapped copies first).
  for (const auto& [id, b] : bundles) {
    if (b.alive) {
      record(rep, {"bundle", b.dir.string(), owner_text(b), b.readable ? "kept: owner alive" : "kept: being created"});
      continue;
    }
    if (dry_run) {
      record(rep, {"bundle", b.dir.string(), owner_text(b), "would remove"});
      continue;
    }
    auto r = oci::remove_bundle_dir(b.dir);
    record(rep, {"bundle", b.dir.string(), owner_text(b), r ? "removed" : "failed: " + r.error().message});
  }

  // Cgroup directories a runtime left behind (runsc sometimes does when its sandbox is killed).
  for (const auto& dir : container_cgroups(host)) {
    const std::string id = dir.filename().string();
    if (alive_now(id) || young(dir)) continue;
    if (dry_run) {
      record(rep, {"cgroup", dir.string(), "", "would remove"});
      continue;
    }
    // rmdir only succeeds on an empty cgroup: a cgroup with processes is never disturbed.
    if (::rmdir(dir.c_str()) == 0) {
      record(rep, {"cgroup", dir.string(), "", "removed"});
    } else {
      record(rep, {"cgroup", dir.string(), "", std::string("failed: rmdir: ") + std::strerror(errno)});
    }
  }

  // Disk quotas (either backend) whose kavach process is gone: limit removed, ids restored.
  // Only root sets them (and can read their records).
  if (::geteuid() == 0) {
    for (auto& e : common::collect_stale_disk_quotas(dry_run)) record(rep, std::move(e));
  }
  return rep;
}

nlohmann::json to_json(const GcReport& r) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : r.entries) {
    entries.push_back({{"kind", e.kind}, {"name", e.name}, {"detail", e.detail}, {"action", e.action}});
  }
  return {{"removed", r.removed}, {"kept", r.kept}, {"failed", r.failed}, {"entries", entries}};
}

}  // namespace kavach
