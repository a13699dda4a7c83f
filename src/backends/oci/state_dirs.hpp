// Where container bundles and runtime state live: /run/kavach/oci when root, else
// $XDG_RUNTIME_DIR/kavach/oci. Each runtime gets its own --root there, so `kavach gc` lists
// only kavach's containers and never touches anyone else's.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/common/run_owner.hpp"
#include "kavach/error.hpp"

namespace kavach::oci {

struct StateDirs {
  std::filesystem::path base;  // .../kavach/oci
  [[nodiscard]] std::filesystem::path bundles() const { return base / "bundles"; }
  [[nodiscard]] std::filesystem::path runtime_root(const std::string& runtime) const {
    return base / "state" / runtime;
  }
};

// The directories, created 0711 (the container's unprivileged user must traverse to its rootfs).
// `memory_backed`: for a run whose spec carries injected values (secrets in process.env): the
// base is .../kavach/oci-mem, which must be tmpfs/ramfs; as root, a private tmpfs is mounted
// there on first use (once, under a lock); otherwise secret_error says why. config.json and
// the runtime's state (runsc keeps the whole spec there) then never reach a disk.
[[nodiscard]] Result<StateDirs> state_dirs(bool memory_backed = false);
// The bases that exist now (disk and memory-backed), for `kavach gc`; creates and mounts nothing.
[[nodiscard]] std::vector<StateDirs> existing_state_dirs();
// True when `path` is on tmpfs or ramfs.
[[nodiscard]] bool on_memory_filesystem(const std::filesystem::path& path);

// "kavach-" + 16 random hex digits.
[[nodiscard]] std::string new_container_id();
inline constexpr const char* kContainerPrefix = "kavach-";

// Who owns a run (shared with the disk quota records).
using common::Owner;
using common::current_owner;
using common::owner_alive;
using common::process_start_time;

// mkdir -p with `mode` for the components it creates (0711 style); errors name the path.
[[nodiscard]] Result<void> make_dirs(const std::filesystem::path& dir, unsigned mode);

}  // namespace kavach::oci
