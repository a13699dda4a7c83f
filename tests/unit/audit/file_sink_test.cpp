#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "audit/audit_test_support.hpp"

namespace kavach {
namespace {

using test::TempDir;

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(AuditFileSink, AppendsChainedRecordsAndSealsTheHead) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_TRUE(sink) << sink.error().message;
  for (int i = 1; i <= 3; ++i) {
    auto seq = (*sink)->append(test::event(AuditEventType::created, i));
    ASSERT_TRUE(seq) << seq.error().message;
    EXPECT_EQ(*seq, static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(mode_of(log), 0600u);
  EXPECT_EQ(mode_of(audit_head_path(log)), 0600u);

  const auto lines = test::read_lines(log);
  ASSERT_EQ(lines.size(), 3u);
  std::string prev_mac;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j.at("seq"), i + 1);
    EXPECT_EQ(j.at("event").at("type"), "created");
    EXPECT_EQ(j.at("event").at("data").at("n"), static_cast<int>(i + 1));
    if (i > 0) {
      EXPECT_EQ(j.at("prev"), prev_mac) << "record " << i + 1 << " does not chain";
    }
    prev_mac = j.at("mac");
  }
  const auto head = nlohmann::json::parse(test::read_file(audit_head_path(log)));
  EXPECT_EQ(head.at("seq"), 3);
  EXPECT_EQ(head.at("mac"), prev_mac);

  auto report = verify_audit_log(log, test::key_from_hex(dir));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->records, 3u);
  EXPECT_EQ(report->log_id, head.at("log"));
}

TEST(AuditFileSink, ReopenedLogContinuesTheChain) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2, 1));
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2, 1));
  auto report = verify_audit_log(log, test::key_from_hex(dir));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->records, 4u);
}

TEST(AuditFileSink, OnEventRecordsFailuresInsteadOfThrowing) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  std::vector<Error> errors;
  auto options = test::file_options(1);
  options.on_error = [&](const Error& e) { errors.push_back(e); };
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), std::move(options));
  ASSERT_TRUE(sink);
  (*sink)->on_event(test::event(AuditEventType::created, 1));
  EXPECT_EQ((*sink)->failures(), 0u);
  std::filesystem::remove(audit_head_path(log));  // now the log cannot be extended safely
  (*sink)->on_event(test::event(AuditEventType::destroyed, 2));
  EXPECT_EQ((*sink)->failures(), 1u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].context.at("reason"), "head_missing");
  ASSERT_TRUE((*sink)->last_error());
  EXPECT_EQ(test::read_lines(log).size(), 1u);
}

TEST(AuditFileSink, InvalidUtf8InEventDataIsStoredReplaced) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_TRUE(sink);
  AuditEvent e;
  e.data = {{"output", std::string("ok\xff\xfe")}};
  ASSERT_TRUE((*sink)->append(e));
  EXPECT_TRUE(verify_audit_log(log, test::key_from_hex(dir)));
}

TEST(AuditFileSink, RefusesToExtendALogThatLostItsEnd) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 4));
  auto lines = test::read_lines(log);
  lines.pop_back();
  test::write_lines(log, lines);
  // Appending now would hide the truncation behind a fresh head.
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_FALSE(sink);
  EXPECT_EQ(sink.error().code, ErrorCode::audit_tampered);
  EXPECT_EQ(sink.error().context.at("reason"), "truncated");

  test::write_file(log, "");
  auto emptied = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_FALSE(emptied);
  EXPECT_EQ(emptied.error().context.at("reason"), "truncated");
}

TEST(AuditFileSink, RefusesWrongKeyAndMissingHead) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2));
  auto wrong = AuditFileSink::open(log, test::key_from_hex(dir, test::kOtherKeyHex), {});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().context.at("reason"), "wrong_key");
  std::filesystem::remove(audit_head_path(log));
  auto headless = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_FALSE(headless);
  EXPECT_EQ(headless.error().context.at("reason"), "head_missing");
}

TEST(AuditFileSink, InterruptedAppendIsResealedByTheNextWriter) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 2));
  const std::string old_head = test::read_file(audit_head_path(log));
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 1));
  // Simulate a crash after the record was written but before its head was: put the old head back.
  test::write_file(audit_head_path(log), old_head);
  auto unsealed = verify_audit_log(log, test::key_from_hex(dir));
  ASSERT_FALSE(unsealed);
  EXPECT_EQ(unsealed.error().context.at("reason"), "unsealed");
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 1));
  auto report = verify_audit_log(log, test::key_from_hex(dir));
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->records, 4u);
}

TEST(AuditFileSink, FollowsTheLogWhenItIsReplacedUnderneath) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), {});
  ASSERT_TRUE(sink);
  ASSERT_TRUE((*sink)->append(test::event(AuditEventType::created, 1)));
  // Someone deletes the log but not the head: the sink must not start a fresh chain silently.
  std::filesystem::remove(log);
  auto r = (*sink)->append(test::event(AuditEventType::created, 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().context.at("reason"), "truncated");
  // Rotation (log and head moved away together) starts a new log at the old path.
  std::filesystem::remove(audit_head_path(log));
  auto fresh = (*sink)->append(test::event(AuditEventType::created, 3));
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(*fresh, 1u);
  EXPECT_TRUE(verify_audit_log(log, test::key_from_hex(dir)));
}

TEST(AuditFileSink, BatchedSyncStillKeepsTheHeadCurrent) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), test::file_options(0));
  ASSERT_TRUE(sink);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE((*sink)->append(test::event(AuditEventType::score, i)));
  // Another reader sees a consistent, verifiable log before any fsync happened.
  EXPECT_TRUE(verify_audit_log(log, test::key_from_hex(dir)));
  EXPECT_TRUE((*sink)->flush());
}

TEST(AuditFileSink, OpenAuditLogResolvesTheKeyAndTheAnchorLikeTheCli) {
  TempDir dir;
  test::ScopedEnv anchors("KAVACH_AUDIT_ANCHOR_DIR", (dir / "anchors").string());
  const auto log = dir / "audit.jsonl";
  const auto key_file = test::write_key(dir, "key", test::kKeyHex);
  auto sink = open_audit_log(log, key_file);
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_TRUE((*sink)->append(test::event(AuditEventType::created, 1)));
  auto report = verify_audit_log(log, test::key_from_hex(dir), AuditVerifyOptions{dir / "anchors", true});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->anchor, AuditAnchorState::matched);
  auto missing = open_audit_log(log, dir / "no-such-key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::audit_error);
}

TEST(CallbackAuditSink, DeliversEventsAndContainsExceptions) {
  std::vector<std::string> seen;
  CallbackAuditSink sink([&](const AuditEvent& e) {
    if (e.sandbox_id == "boom") throw std::runtime_error("callback failed");
    seen.push_back(e.sandbox_id);
  });
  AuditEvent a;
  a.sandbox_id = "sb-1";
  sink.on_event(a);
  a.sandbox_id = "boom";
  sink.on_event(a);  // must not propagate
  EXPECT_EQ(seen, std::vector<std::string>{"sb-1"});
  EXPECT_EQ(sink.failures(), 1u);
}

}  // namespace
}  // namespace kavach
