// Rollback: cut the log back to a copied head and put that head back. The chain and the head
// cannot tell (both are authentic); only the anchor outside the log can.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "audit/audit_test_support.hpp"

namespace kavach {
namespace {

using test::TempDir;

class AuditRollback : public ::testing::Test {
 protected:
  AuditKey key() { return test::key_from_hex(dir_); }

  // Writes `count` records, anchored in anchors_ when `anchored`.
  void write(int count, bool anchored, std::size_t fsync_every = 1) {
    ASSERT_TRUE(test::write_log(log_, key(), count, fsync_every,
                                anchored ? std::optional(anchors_) : std::nullopt));
  }

  Result<AuditVerifyReport> verify(bool require_anchor = false) {
    AuditVerifyOptions o;
    o.anchor_dir = anchors_;
    o.require_anchor = require_anchor;
    return verify_audit_log(log_, key(), o);
  }

  std::filesystem::path anchor_file() {
    auto r = verify_audit_log(log_, key());
    EXPECT_TRUE(r) << r.error().message;
    return audit_anchor_path(anchors_, r ? r->log_id : "");
  }

  void expect_rollback(const Result<AuditVerifyReport>& r, const std::string& reason, std::uint64_t anchor_seq,
                       std::uint64_t last_seq, const std::string& in_message) {
    ASSERT_FALSE(r) << "rollback was not detected";
    EXPECT_EQ(r.error().code, ErrorCode::audit_rollback) << r.error().message;
    EXPECT_EQ(r.error().context.at("reason"), reason) << r.error().message;
    EXPECT_EQ(r.error().context.at("anchor_seq"), std::to_string(anchor_seq));
    EXPECT_EQ(r.error().context.at("last_seq"), std::to_string(last_seq));
    EXPECT_NE(r.error().message.find(in_message), std::string::npos) << r.error().message;
  }

  TempDir dir_;
  std::filesystem::path log_ = dir_ / "audit.jsonl";
  std::filesystem::path anchors_ = dir_ / "state" / "audit-anchors";
};

TEST_F(AuditRollback, WithoutAnAnchorACutBackLogVerifiesAndTheReportSaysWhy) {
  write(3, /*anchored=*/false);
  const auto old = test::snapshot(log_);
  write(3, false);
  test::roll_back(log_, old);

  // The documented limitation: the shorter log is authentic and its head seals it.
  auto r = verify();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->records, 3u);
  EXPECT_EQ(r->anchor, AuditAnchorState::missing);
  EXPECT_EQ(r->anchor_file, audit_anchor_path(anchors_, r->log_id));
  auto unchecked = verify_audit_log(log_, key());
  ASSERT_TRUE(unchecked);
  EXPECT_EQ(unchecked->anchor, AuditAnchorState::not_checked);
  // ...and an unanchored writer carries on from the old head.
  write(1, false);
  EXPECT_TRUE(verify());
}

TEST_F(AuditRollback, WithAnAnchorACutBackLogIsDetected) {
  write(3, /*anchored=*/true);
  const auto old = test::snapshot(log_);
  write(3, true);
  auto intact = verify();
  ASSERT_TRUE(intact) << intact.error().message;
  EXPECT_EQ(intact->anchor, AuditAnchorState::matched);
  EXPECT_EQ(intact->anchor_seq, 6u);

  test::roll_back(log_, old);
  ASSERT_TRUE(verify_audit_log(log_, key())) << "the chain alone cannot see a rollback";
  expect_rollback(verify(), "rolled_back", 6, 3, "records 4..6 were cut off and an older head put back");
}

TEST_F(AuditRollback, CutBackByOneRecordIsDetected) {
  write(5, true);
  const auto old = test::snapshot(log_);
  write(1, true);
  test::roll_back(log_, old);
  expect_rollback(verify(), "rolled_back", 6, 5, "record 6 was cut off");
}

TEST_F(AuditRollback, AnchoredWriterRefusesToCarryOnAfterARollback) {
  write(2, true);
  const auto old = test::snapshot(log_);
  auto sink = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_TRUE((*sink)->append(test::event(AuditEventType::created, 3)));
  test::roll_back(log_, old);

  auto appended = (*sink)->append(test::event(AuditEventType::created, 4));
  ASSERT_FALSE(appended) << "the writer extended a rolled-back log";
  EXPECT_EQ(appended.error().code, ErrorCode::audit_rollback);
  EXPECT_NE(appended.error().message.find("refusing to append"), std::string::npos) << appended.error().message;
  auto reopened = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::audit_rollback);
  EXPECT_EQ(test::read_lines(log_).size(), 2u);
}

TEST_F(AuditRollback, RolledBackAndWrittenAgainByAnUnanchoredWriterIsDetected) {
  write(3, true);
  const auto old = test::snapshot(log_);
  write(3, true);
  test::roll_back(log_, old);
  write(4, /*anchored=*/false);  // the log now reaches seq 7, past the anchor, on another branch

  ASSERT_TRUE(verify_audit_log(log_, key()));
  expect_rollback(verify(), "forked", 6, 7, "the log's record 6 is another one");
  // The anchored writer finds the anchored record gone from its offset and refuses too.
  auto sink = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, ErrorCode::audit_rollback);
  EXPECT_EQ(sink.error().context.at("reason"), "forked");
}

TEST_F(AuditRollback, AnAnchorBehindTheLogIsFineAndMovesForward) {
  write(3, true);
  write(2, /*anchored=*/false);  // records 4 and 5 are not anchored
  auto behind = verify();
  ASSERT_TRUE(behind) << behind.error().message;
  EXPECT_EQ(behind->anchor, AuditAnchorState::matched);
  EXPECT_EQ(behind->anchor_seq, 3u);
  EXPECT_EQ(behind->last_seq, 5u);
  write(1, true);  // checks record 3 at its recorded offset, then anchors record 6
  auto r = verify();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->anchor_seq, 6u);
}

TEST_F(AuditRollback, TheAnchorIsPrivateAndNamesItsRecord) {
  write(4, true);
  const auto file = anchor_file();
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat(anchors_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  const auto j = nlohmann::json::parse(test::read_file(file));
  const auto last = nlohmann::json::parse(test::read_lines(log_).back());
  EXPECT_EQ(j.at("seq"), 4);
  EXPECT_EQ(j.at("mac"), last.at("mac"));
  EXPECT_EQ(j.at("end"), std::filesystem::file_size(log_));
  EXPECT_EQ(j.at("log"), last.at("log"));
}

TEST_F(AuditRollback, BatchedSyncAnchorsOnlyWhatWasSynced) {
  // An anchor ahead of the durable log would turn a power cut into a false rollback alarm.
  auto sink = AuditFileSink::open(log_, key(), test::file_options(0, anchors_));
  ASSERT_TRUE(sink);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE((*sink)->append(test::event(AuditEventType::score, i)));
  auto before = verify();
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->anchor, AuditAnchorState::missing);
  ASSERT_TRUE((*sink)->flush());
  auto after = verify();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->anchor_seq, 3u);
}

TEST_F(AuditRollback, AnOlderPendingRecordNeverMovesTheAnchorBack) {
  auto batched = AuditFileSink::open(log_, key(), test::file_options(0, anchors_));
  auto per_record = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_TRUE(batched && per_record);
  ASSERT_TRUE((*batched)->append(test::event(AuditEventType::created, 1)));     // seq 1, pending
  ASSERT_TRUE((*per_record)->append(test::event(AuditEventType::created, 2)));  // seq 2, anchored
  ASSERT_TRUE((*batched)->flush());  // would anchor seq 1
  auto r = verify();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->anchor_seq, 2u);
}

TEST_F(AuditRollback, ModifiedAnchorIsItsOwnError) {
  write(3, true);
  const auto file = anchor_file();
  std::string text = test::read_file(file);
  text.replace(text.find("\"seq\":3"), 7, "\"seq\":2");
  test::write_file(file, text);
  auto r = verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::audit_tampered);
  EXPECT_EQ(r.error().context.at("reason"), "anchor_modified") << r.error().message;
  EXPECT_NE(r.error().message.find("MAC mismatch"), std::string::npos) << r.error().message;
  // A writer will not build on it either.
  auto sink = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().context.at("reason"), "anchor_modified");

  test::write_file(file, "not an anchor\n");
  auto garbage = verify();
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().context.at("reason"), "anchor_malformed") << garbage.error().message;
}

TEST_F(AuditRollback, AnchorOfAnotherLogIsAMismatchNotAMatch) {
  write(3, true);
  const auto other = dir_ / "other.jsonl";
  ASSERT_TRUE(test::write_log(other, key(), 5, 1, anchors_));
  auto other_report = verify_audit_log(other, key());
  ASSERT_TRUE(other_report);
  // Each log is checked against its own anchor, side by side in one directory.
  auto own = verify();
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own->anchor_seq, 3u);

  std::filesystem::copy_file(audit_anchor_path(anchors_, other_report->log_id), anchor_file(),
                             std::filesystem::copy_options::overwrite_existing);
  auto r = verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::audit_tampered);
  EXPECT_EQ(r.error().context.at("reason"), "anchor_mismatch") << r.error().message;
  EXPECT_NE(r.error().message.find(other_report->log_id), std::string::npos) << r.error().message;
}

TEST_F(AuditRollback, RequiringTheAnchorFailsWithoutOne) {
  write(2, false);
  auto r = verify(/*require_anchor=*/true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::audit_tampered);
  EXPECT_EQ(r.error().context.at("reason"), "anchor_missing") << r.error().message;
  EXPECT_NE(r.error().message.find("cannot be detected"), std::string::npos) << r.error().message;
  write(1, true);
  EXPECT_TRUE(verify(/*require_anchor=*/true));
}

TEST_F(AuditRollback, AnchorDirectoryOthersCanWriteIsRefused) {
  write(2, true);
  ASSERT_EQ(::chmod(anchors_.c_str(), 0777), 0);
  auto r = verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::audit_error);
  EXPECT_NE(r.error().message.find("writable by group or others"), std::string::npos) << r.error().message;
  auto sink = AuditFileSink::open(log_, key(), test::file_options(1, anchors_));
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, ErrorCode::audit_error);
}

TEST(AuditAnchorDir, ResolvedFromFlagThenEnvironmentThenStateDir) {
  TempDir dir;
  test::ScopedEnv no_env("KAVACH_AUDIT_ANCHOR_DIR", std::nullopt);
  test::ScopedEnv state("XDG_STATE_HOME", dir.path().string());
  EXPECT_EQ(*resolve_audit_anchor_dir(std::nullopt), dir / "kavach" / "audit-anchors");
  EXPECT_EQ(*default_audit_anchor_dir(), dir / "kavach" / "audit-anchors");
  test::ScopedEnv env("KAVACH_AUDIT_ANCHOR_DIR", (dir / "env").string());
  EXPECT_EQ(*resolve_audit_anchor_dir(std::nullopt), dir / "env");
  EXPECT_EQ(*resolve_audit_anchor_dir(dir / "flag"), dir / "flag");
}

}  // namespace
}  // namespace kavach
