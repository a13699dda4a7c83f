// One run's bundle directory (config.json, rootfs, runtime log, owner record) and everything
// that must be undone after the run: the container in the runtime, idmapped copies, the
// directory itself. Cleanup runs on every path (destructor), and what a
// crashed run leaves behind is found again by `kavach gc` through the owner record.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/oci/container_run.hpp"
#include "backends/oci/idmap.hpp"
#include "backends/oci/state_dirs.hpp"
#include "kavach/error.hpp"

namespace kavach::oci {

inline constexpr const char* kOwnerFile = "kavach-owner.json";
// Bundle directory mode: only root (the runtime) and, with a user namespace, the container's
// root host id (which prepares the rootfs there) list or enter it.
inline constexpr unsigned kBundleDirMode = 0700;

class Bundle {
 public:
  // Creates <bundles>/<id> (kBundleDirMode) and records the owner (pid + start time), runtime and flags.
  // `host_uid`/`host_gid`: the container user's host ids (owners of writable paths map to them).
  // `mapped_root`: the host id container root maps to (user namespace), made the dir's owner.
  [[nodiscard]] static Result<std::unique_ptr<Bundle>> create(const StateDirs& dirs, const std::string& id,
                                                              const RuntimeCommand& rt, uid_t host_uid,
                                                              gid_t host_gid, std::optional<uid_t> mapped_root);
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;
  ~Bundle() { cleanup(); }

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] std::filesystem::path log() const { return dir_ / "runtime.log"; }
  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] IdmappedMounts& idmaps() { return idmaps_; }

  // config.json, created 0600 (O_EXCL, no symlink); the text buffer is wiped after writing.
  [[nodiscard]] Result<void> write_config(const nlohmann::json& spec) const;
  // From now on cleanup also deletes the container from the runtime.
  void container_created() { container_ = true; }
  // Delete the container (if created), detach copies, remove the directory.
  // Returns the first problem (the run's result still stands; gc retries later).
  Result<void> cleanup() noexcept;

 private:
  Bundle(std::filesystem::path dir, std::string id, RuntimeCommand rt, uid_t uid, gid_t gid)
      : dir_(std::move(dir)), id_(std::move(id)), rt_(std::move(rt)), idmaps_(dir_ / "idmap", uid, gid) {}
  std::filesystem::path dir_;
  std::string id_;
  RuntimeCommand rt_;
  IdmappedMounts idmaps_;
  bool container_ = false;
  bool cleaned_ = false;
};

// Removes a bundle directory that may still hold (stale) mounts: unmount below it first, so
// removal never reaches through a mount into host files. Refuses paths outside <bundles>/kavach-*.
[[nodiscard]] Result<void> remove_bundle_dir(const std::filesystem::path& dir);

}  // namespace kavach::oci
