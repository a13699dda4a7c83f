// Every way of changing a log must be caught, and the first bad record named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "audit/audit_test_support.hpp"

namespace kavach {
namespace {

using test::TempDir;

class VerifyTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test::write_log(log_, test::key_from_hex(dir_), 6));
    ASSERT_TRUE(verify_audit_log(log_, key())) << "the untouched log must verify";
    lines_ = test::read_lines(log_);
    ASSERT_EQ(lines_.size(), 6u);
  }

  AuditKey key(const std::string& hex = test::kKeyHex) { return test::key_from_hex(dir_, hex); }

  // Verifies and expects audit_tampered with this reason, naming `line` (0: not checked).
  void expect_tampered(const std::string& reason, std::uint64_t line, const std::string& in_message = "") {
    auto r = verify_audit_log(log_, key());
    ASSERT_FALSE(r) << "tampering (" << reason << ") was not detected";
    EXPECT_EQ(r.error().code, ErrorCode::audit_tampered);
    EXPECT_EQ(r.error().context.at("reason"), reason) << r.error().message;
    if (line > 0) {
      EXPECT_EQ(r.error().context.at("line"), std::to_string(line)) << r.error().message;
      EXPECT_NE(r.error().message.find("line " + std::to_string(line)), std::string::npos) << r.error().message;
    }
    if (!in_message.empty()) {
      EXPECT_NE(r.error().message.find(in_message), std::string::npos) << r.error().message;
    }
  }

  TempDir dir_;
  std::filesystem::path log_ = dir_ / "audit.jsonl";
  std::vector<std::string> lines_;
};

TEST_F(VerifyTamper, IntactLogVerifies) {
  auto r = verify_audit_log(log_, key());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->records, 6u);
  EXPECT_EQ(r->last_seq, 6u);
  EXPECT_EQ(r->log_id.size(), 32u);
}

TEST_F(VerifyTamper, ModifiedFieldInEventData) {
  auto pos = lines_[2].find("\"event 3\"");
  ASSERT_NE(pos, std::string::npos);
  lines_[2].replace(pos, 9, "\"event X\"");
  test::write_lines(log_, lines_);
  expect_tampered("modified", 3, "MAC mismatch");
}

TEST_F(VerifyTamper, ModifiedSequenceNumber) {
  lines_[3].replace(lines_[3].find("\"seq\":4"), 7, "\"seq\":9");
  test::write_lines(log_, lines_);
  expect_tampered("modified", 4);
}

TEST_F(VerifyTamper, ModifiedMacField) {
  const auto pos = lines_[1].find("\"mac\":\"") + 7;
  lines_[1][pos] = lines_[1][pos] == 'a' ? 'b' : 'a';
  test::write_lines(log_, lines_);
  expect_tampered("modified", 2);
}

TEST_F(VerifyTamper, DeletedRecordInTheMiddle) {
  lines_.erase(lines_.begin() + 2);
  test::write_lines(log_, lines_);
  expect_tampered("deleted", 3, "expected seq 3: record 3 deleted");
}

TEST_F(VerifyTamper, SeveralDeletedRecordsInTheMiddle) {
  lines_.erase(lines_.begin() + 1, lines_.begin() + 4);
  test::write_lines(log_, lines_);
  expect_tampered("deleted", 2, "records 2..4 deleted");
}

TEST_F(VerifyTamper, RecordsDeletedFromTheEnd) {
  lines_.resize(4);
  test::write_lines(log_, lines_);
  expect_tampered("truncated", 5, "records 5..6 were deleted from the end");
}

TEST_F(VerifyTamper, RecordsDeletedFromTheEndTogetherWithTheHead) {
  lines_.resize(4);
  test::write_lines(log_, lines_);
  std::filesystem::remove(audit_head_path(log_));
  expect_tampered("head_missing", 0, "does not verify");
}

TEST_F(VerifyTamper, ReorderedRecords) {
  std::swap(lines_[2], lines_[3]);
  test::write_lines(log_, lines_);
  expect_tampered("reordered", 3, "records reordered");
}

TEST_F(VerifyTamper, RecordMovedEarlier) {
  const std::string moved = lines_[4];
  lines_.erase(lines_.begin() + 4);
  lines_.insert(lines_.begin() + 1, moved);
  test::write_lines(log_, lines_);
  expect_tampered("reordered", 2);
}

TEST_F(VerifyTamper, DuplicatedRecord) {
  lines_.insert(lines_.begin() + 3, lines_[2]);
  test::write_lines(log_, lines_);
  expect_tampered("duplicated", 4);
}

TEST_F(VerifyTamper, RecordSplicedFromAnotherLogWithTheSameKey) {
  const auto other = dir_ / "other.jsonl";
  ASSERT_TRUE(test::write_log(other, key(), 6));
  const auto foreign = test::read_lines(other);
  lines_[2] = foreign[2];  // same seq, valid MAC, different chain
  test::write_lines(log_, lines_);
  expect_tampered("foreign_record", 3, "comes from another log");
}

TEST_F(VerifyTamper, RecordInsertedFromAnotherLog) {
  const auto other = dir_ / "other.jsonl";
  ASSERT_TRUE(test::write_log(other, key(), 6));
  lines_.insert(lines_.begin() + 5, test::read_lines(other)[5]);
  test::write_lines(log_, lines_);
  expect_tampered("foreign_record", 6);
}

TEST_F(VerifyTamper, HeadFromAnotherLogWithTheSameKey) {
  const auto other = dir_ / "other.jsonl";
  ASSERT_TRUE(test::write_log(other, key(), 6));
  std::filesystem::copy_file(audit_head_path(other), audit_head_path(log_),
                             std::filesystem::copy_options::overwrite_existing);
  expect_tampered("foreign_record", 1);
}

TEST_F(VerifyTamper, WholeLogReplacedByAnotherLog) {
  // The other log's records but this log's head.
  const auto other = dir_ / "other.jsonl";
  ASSERT_TRUE(test::write_log(other, key(), 6));
  std::filesystem::copy_file(other, log_, std::filesystem::copy_options::overwrite_existing);
  expect_tampered("foreign_record", 1);
}

TEST_F(VerifyTamper, WrongKey) {
  auto r = verify_audit_log(log_, key(test::kOtherKeyHex));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::audit_tampered);
  EXPECT_EQ(r.error().context.at("reason"), "wrong_key");
  EXPECT_NE(r.error().message.find("wrong key"), std::string::npos);
}

TEST_F(VerifyTamper, ModifiedHead) {
  std::string head = test::read_file(audit_head_path(log_));
  head.replace(head.find("\"seq\":6"), 7, "\"seq\":5");
  test::write_file(audit_head_path(log_), head);
  expect_tampered("head_modified", 0);
}

TEST_F(VerifyTamper, GarbageLine) {
  lines_[1] = "{\"seq\":2,\"hello\":1}";
  test::write_lines(log_, lines_);
  expect_tampered("malformed", 2);
}

TEST_F(VerifyTamper, PartialLastRecord) {
  std::string all = test::read_file(log_);
  all.resize(all.size() - 10);
  test::write_file(log_, all);
  expect_tampered("malformed", 6, "partial record");
}

TEST_F(VerifyTamper, EmptyLogWithItsHeadVerifiesOnlyIfTheHeadSaysEmpty) {
  test::write_file(log_, "");
  expect_tampered("truncated", 1, "records 1..6");
}

}  // namespace
}  // namespace kavach
