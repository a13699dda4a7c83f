// The `disk` control for one run, the same for every backend whose writable paths are host
// directories (process: binds; oci/gvisor: idmapped binds of the same inodes): the project
// quota on all of them (disk_quota.hpp), or why not, and the report text when it is not asked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends/common/disk_quota.hpp"
#include "kavach/policy.hpp"

namespace kavach::common {

struct DiskLimit {
  std::unique_ptr<DiskQuota> quota;  // held for the run; released at its end
  bool applied = false;
  std::string text;  // the detail when applied, the reason when not
};

// Every directory in `dirs` bounded, or not applied. With `partial` (the policy lets `disk`
// degrade), directories that can hold a quota get one even when others cannot; the control
// still reads not applied. No directory at all: applied, nothing on host disk is writable.
[[nodiscard]] DiskLimit limit_disk(const std::vector<std::filesystem::path>& dirs, std::uint64_t bytes,
                                   bool partial, const QuotaRecordStore& store = QuotaRecordStore());

}  // namespace kavach::common
