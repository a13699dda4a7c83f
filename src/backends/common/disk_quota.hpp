// The control `disk`: a project quota on a run's writable host directories, so the run can add
// at most disk_bytes to host disk there. Works where the filesystem offers project quotas (ext4
// with the quota+project features mounted with prjquota, XFS mounted with prjquota); needs
// root (quotactl Q_SETQUOTA, project ids are set from the initial user namespace) and
// quotactl_fd (Linux 5.14).
//
// apply(): a fresh project id from kavach's range is recorded (disk_quota_records.hpp), every
// inode under the directories that carries the directory's previous id is moved into it (so
// appending to an existing file is charged too), directories get PROJINHERIT (new files
// inherit the id), and the block hard limit is set to what the project then holds + disk_bytes.
// Writes beyond it fail with EDQUOT. release() (or the destructor) removes the limit, moves
// every inode back and removes the record. One quota per directory at a time: a second
// disk-limited run on a held directory is refused, naming the holder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends/common/disk_quota_records.hpp"
#include "backends/common/unique_fd.hpp"
#include "kavach/error.hpp"
#include "kavach/gc.hpp"

namespace kavach::common {

// Project ids kavach takes: "KV" in the high half, a random low half. Far from the small ids
// administrators hand out in /etc/projid.
inline constexpr std::uint32_t kProjectBase = 0x4b560000;
inline constexpr std::uint32_t kProjectCount = 0x10000;
[[nodiscard]] constexpr bool is_kavach_project(std::uint32_t id) {
  return id >= kProjectBase && id - kProjectBase < kProjectCount;
}

// Empty when `dir`'s filesystem can hold and enforce a project quota; otherwise why not, naming
// the path and the filesystem ("/w is on ext4 (/dev/vda) without project quotas (...)").
[[nodiscard]] std::string project_quota_unavailable(const std::filesystem::path& dir);

class DiskQuota {
 public:
  // Fails (control_unavailable) when a directory's filesystem has no enforced project quotas,
  // when a live run holds one of the directories, or when setting the quota fails; anything
  // already changed is undone first.
  [[nodiscard]] static Result<std::unique_ptr<DiskQuota>> apply(const std::vector<std::filesystem::path>& dirs,
                                                                std::uint64_t bytes,
                                                                const QuotaRecordStore& store = QuotaRecordStore());
  DiskQuota(const DiskQuota&) = delete;
  DiskQuota& operator=(const DiskQuota&) = delete;
  ~DiskQuota();

  // Removes the limit and restores the directories; idempotent. On failure the record stays
  // for `kavach gc`.
  [[nodiscard]] Result<void> release();

  [[nodiscard]] std::uint32_t project() const { return record_.project; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // Bytes charged to the project beyond what it held when the limit was set (summed over
  // filesystems); read live until release(), then frozen.
  [[nodiscard]] std::uint64_t added_bytes() const;

 private:
  struct Filesystem {
    UniqueFd fd;  // a directory on it, for quotactl_fd
    std::uint64_t dev = 0;
    std::uint64_t baseline = 0;  // bytes the project held when the limit was set
  };
  DiskQuota(QuotaRecord record, QuotaRecordStore store) : record_(std::move(record)), store_(std::move(store)) {}
  [[nodiscard]] std::uint64_t usage_now() const;

  QuotaRecord record_;
  QuotaRecordStore store_;
  std::vector<Filesystem> filesystems_;
  std::string detail_;
  bool released_ = false;
  std::uint64_t final_added_ = 0;
};

// Undoes what a record describes: limit removed, project ids and PROJINHERIT restored, record
// removed. Used for stale records (owner gone) by apply() and by `kavach gc`.
[[nodiscard]] Result<void> undo_quota_record(const QuotaRecord& r, const QuotaRecordStore& store);

// `kavach gc`: every record whose owner is gone is undone (or listed, with dry_run).
[[nodiscard]] std::vector<GcEntry> collect_stale_disk_quotas(bool dry_run,
                                                             const QuotaRecordStore& store = QuotaRecordStore());

}  // namespace kavach::common
