// On-disk records of the project quotas kavach has put on host directories, so a quota whose
// kavach process died (killed, machine rebooted) is found and undone: by the next run that
// wants the same directory, and by `kavach gc`. Persistent (quota limits and project ids
// survive a reboot): /var/lib/kavach/disk-quota, one JSON file per project id, written before
// the directory is touched and removed after it is restored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/common/run_owner.hpp"
#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"

namespace kavach::common {

// One writable directory under the quota, and what it carried before.
struct QuotaRoot {
  std::string path;
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint32_t prev_project = 0;
  bool prev_inherit = false;  // FS_XFLAG_PROJINHERIT before
  friend bool operator==(const QuotaRoot&, const QuotaRoot&) = default;
};

struct QuotaRecord {
  std::uint32_t project = 0;
  std::uint64_t limit_bytes = 0;  // what the run may add (the policy's disk_bytes)
  Owner owner;
  std::string boot_id;  // an owner from before a reboot is gone whatever its pid says
  std::vector<QuotaRoot> roots;
  friend bool operator==(const QuotaRecord& a, const QuotaRecord& b) {
    return a.project == b.project && a.limit_bytes == b.limit_bytes && a.owner.pid == b.owner.pid &&
           a.owner.start_time == b.owner.start_time && a.boot_id == b.boot_id && a.roots == b.roots;
  }
};

[[nodiscard]] std::string record_to_json(const QuotaRecord& r);
[[nodiscard]] Result<QuotaRecord> record_from_json(const std::string& text);
[[nodiscard]] std::string current_boot_id();
// The owner is this boot's live process that wrote the record.
[[nodiscard]] bool record_owner_alive(const QuotaRecord& r);

class QuotaRecordStore {
 public:
  explicit QuotaRecordStore(std::filesystem::path dir = default_dir()) : dir_(std::move(dir)) {}
  [[nodiscard]] static std::filesystem::path default_dir() { return "/var/lib/kavach/disk-quota"; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  // Exclusive lock over the whole store (checking for holders and reserving an id is one step).
  [[nodiscard]] Result<UniqueFd> lock() const;
  // Creates the record's file; false when a record for that project id exists already.
  [[nodiscard]] Result<bool> create(const QuotaRecord& r) const;
  [[nodiscard]] Result<void> remove(std::uint32_t project) const;
  struct Entry {
    std::filesystem::path file;
    Result<QuotaRecord> record;
  };
  [[nodiscard]] std::vector<Entry> list() const;
  [[nodiscard]] std::filesystem::path file_for(std::uint32_t project) const;

 private:
  std::filesystem::path dir_;
};

}  // namespace kavach::common
