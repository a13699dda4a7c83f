#include "backends/common/disk_control.hpp"

namespace kavach::common {

DiskLimit limit_disk(const std::vector<std::filesystem::path>& dirs, std::uint64_t bytes, bool partial,
                     const QuotaRecordStore& store) {
  DiskLimit out;
  if (dirs.empty()) {
    out.applied = true;
    out.text = "no host directory is writable: nothing the run writes reaches host disk";
    return out;
  }
  std::vector<std::filesystem::path> able;
  std::string why_not;
  for (const auto& d : dirs) {
    if (std::string why = project_quota_unavailable(d); why.empty()) {
      able.push_back(d);
    } else {
      why_not += (why_not.empty() ? "" : "; ") + why;
    }
  }
  if (!why_not.empty() && (!partial || able.empty())) {
    out.text = why_not;
    return out;
  }
  auto q = DiskQuota::apply(able, bytes, store);
  if (!q) {
    out.text = q.error().message;
    if (!why_not.empty()) out.text = why_not + "; " + out.text;
    return out;
  }
  out.quota = std::move(*q);
  out.applied = why_not.empty();
  out.text = out.applied ? out.quota->detail() : why_not + "; the others: " + out.quota->detail();
  return out;
}

}  // namespace kavach::common
