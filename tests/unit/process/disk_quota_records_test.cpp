// The disk quota's host-independent parts: records and their store, the id range, the
// control's texts, and the reasons a filesystem cannot hold a project quota.
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/controls.hpp"

#include "backends/common/disk_control.hpp"
#include "backends/common/disk_quota.hpp"

namespace kavach::common {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kavach-dq-XXXXXX";
    path_ = ::mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

QuotaRecord sample() {
  QuotaRecord r;
  r.project = kProjectBase + 0x1234;
  r.limit_bytes = 8u << 20;
  r.owner = current_owner();
  r.boot_id = current_boot_id();
  r.roots = {{"/work/a", 2049, 77, 0, false}, {"/work/b", 2049, 78, 5, true}};
  return r;
}

TEST(DiskQuotaRecords, JsonRoundTrips) {
  const QuotaRecord r = sample();
  auto again = record_from_json(record_to_json(r));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, r);
  EXPECT_FALSE(record_from_json("{\"project\": 1}").has_value());
}

TEST(DiskQuotaRecords, OwnerIsAliveOnlyInThisBootAndProcess) {
  QuotaRecord r = sample();
  EXPECT_TRUE(record_owner_alive(r));
  r.boot_id = "another-boot";
  EXPECT_FALSE(record_owner_alive(r)) << "ids and limits survive a reboot, their owner does not";
  r = sample();
  r.owner.start_time += 1;
  EXPECT_FALSE(record_owner_alive(r)) << "a recycled pid is not the owner";
}

TEST(DiskQuotaRecords, StoreReservesEachProjectOnce) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const QuotaRecordStore store(dir.path() / "records");
  auto lock = store.lock();
  ASSERT_TRUE(lock.has_value()) << lock.error().message;
  const QuotaRecord r = sample();
  auto first = store.create(r);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = store.create(r);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(*second) << "the id is taken";
  auto listed = store.list();
  ASSERT_EQ(listed.size(), 1u);
  ASSERT_TRUE(listed[0].record.has_value());
  EXPECT_EQ(*listed[0].record, r);
  EXPECT_EQ(listed[0].file.filename(), "4b561234.json");
  ASSERT_TRUE(store.remove(r.project).has_value());
  EXPECT_TRUE(store.list().empty());
  EXPECT_TRUE(store.remove(r.project).has_value()) << "removing twice is fine";
}

TEST(DiskQuotaRecords, GcKeepsRecordsOfLiveOwnersAndListsDeadOnes) {
  TempDir dir;
  const QuotaRecordStore store(dir.path());
  QuotaRecord live = sample();
  QuotaRecord dead = sample();
  dead.project += 1;
  dead.boot_id = "gone";
  dead.roots = {{(dir.path() / "missing").string(), 1, 2, 0, false}};
  ASSERT_TRUE(store.create(live).value());
  ASSERT_TRUE(store.create(dead).value());
  auto dry = collect_stale_disk_quotas(true, store);
  ASSERT_EQ(dry.size(), 2u);
  int kept = 0;
  int would = 0;
  for (const auto& e : dry) {
    EXPECT_EQ(e.kind, "disk_quota");
    kept += e.action == "kept: owner alive";
    would += e.action == "would remove";
  }
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(would, 1);
  // The dead run's directory is gone: nothing is left to restore, only the record to drop.
  auto done = collect_stale_disk_quotas(false, store);
  ASSERT_EQ(done.size(), 2u);
  for (const auto& e : done) EXPECT_TRUE(e.action == "kept: owner alive" || e.action == "removed") << e.action;
  ASSERT_EQ(store.list().size(), 1u);
  EXPECT_EQ(*store.list()[0].record, live);
  ASSERT_TRUE(store.remove(live.project).has_value());
}

TEST(DiskQuotaRecords, NoStoreNothingToCollect) {
  EXPECT_TRUE(collect_stale_disk_quotas(true, QuotaRecordStore("/nonexistent/kavach-dq")).empty());
}

TEST(DiskQuota, ProjectRangeIsKavachs) {
  EXPECT_TRUE(is_kavach_project(kProjectBase));
  EXPECT_TRUE(is_kavach_project(kProjectBase + kProjectCount - 1));
  EXPECT_FALSE(is_kavach_project(kProjectBase + kProjectCount));
  EXPECT_FALSE(is_kavach_project(0));
  EXPECT_FALSE(is_kavach_project(42));
}

TEST(DiskQuota, ProcHasNoProjectIds) {
  const std::string why = project_quota_unavailable("/proc");
  EXPECT_NE(why.find("/proc is on proc"), std::string::npos) << why;
  EXPECT_NE(why.find("no project ids"), std::string::npos) << why;
  EXPECT_NE(project_quota_unavailable("/nonexistent/kavach").find("cannot open"), std::string::npos);
}

TEST(DiskQuota, ApplyRefusesAFilesystemWithoutProjectQuotas) {
  TempDir dir;
  auto q = DiskQuota::apply({"/proc"}, 8u << 20, QuotaRecordStore(dir.path()));
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code, ErrorCode::control_unavailable);
  EXPECT_NE(q.error().message.find("/proc"), std::string::npos);
  EXPECT_TRUE(QuotaRecordStore(dir.path()).list().empty()) << "nothing recorded for a refused run";
}

TEST(DiskControl, NoWritableDirectoryIsBoundedTrivially) {
  DiskLimit d = limit_disk({}, 8u << 20, false);
  EXPECT_TRUE(d.applied);
  EXPECT_EQ(d.quota, nullptr);
  EXPECT_NE(d.text.find("no host directory is writable"), std::string::npos);
}

TEST(DiskControl, UnsupportedFilesystemIsNotAppliedWithTheReason) {
  TempDir dir;
  DiskLimit d = limit_disk({"/proc"}, 8u << 20, true, QuotaRecordStore(dir.path()));
  EXPECT_FALSE(d.applied);
  EXPECT_EQ(d.quota, nullptr);
  EXPECT_NE(d.text.find("/proc is on proc"), std::string::npos) << d.text;
}

TEST(DiskControl, NotRequestedDetailNamesTheFileCap) {
  SandboxPolicy p = preset_policy(Preset::agent);
  EXPECT_EQ(kavach::disk_not_requested_detail(p), "not requested; no host directory is writable");
  p.fs.writable_paths = {"/work"};
  EXPECT_EQ(kavach::disk_not_requested_detail(p), "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1024 MiB)");
  p.limits.file_size_bytes.reset();
  EXPECT_EQ(kavach::disk_not_requested_detail(p), "disk writes unbounded (no per-file cap: RLIMIT_FSIZE unset)");
  p.limits.file_size_bytes = 1000;
  EXPECT_EQ(kavach::disk_not_requested_detail(p), "disk writes unbounded (per-file cap RLIMIT_FSIZE = 1000 bytes)");
}

}  // namespace
}  // namespace kavach::common
