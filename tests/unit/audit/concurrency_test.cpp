// Many writers, one log: the chain must stay intact across threads and processes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "audit/audit_test_support.hpp"

namespace kavach {
namespace {

using test::TempDir;

constexpr int kWriters = 4;
constexpr int kPerWriter = 50;

void expect_intact(const std::filesystem::path& log, AuditKey key, std::uint64_t records) {
  auto r = verify_audit_log(log, key);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->records, records);
  // Every writer's every event is there exactly once.
  std::set<std::pair<std::string, int>> seen;
  for (const auto& line : test::read_lines(log)) {
    const auto j = nlohmann::json::parse(line);
    seen.emplace(j["event"]["sandbox_id"].get<std::string>(), j["event"]["data"]["n"].get<int>());
  }
  EXPECT_EQ(seen.size(), records);
}

AuditEvent writer_event(int writer, int n) {
  AuditEvent e;
  e.type = AuditEventType::exec_finished;
  e.sandbox_id = "writer-" + std::to_string(writer);
  e.data = {{"n", n}};
  return e;
}

TEST(AuditConcurrency, ThreadsSharingOneSink) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), test::file_options(0));
  ASSERT_TRUE(sink);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) (*sink)->on_event(writer_event(w, i));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*sink)->failures(), 0u);
  expect_intact(log, test::key_from_hex(dir), kWriters * kPerWriter);
}

TEST(AuditConcurrency, ThreadsWithTheirOwnSinks) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    auto sink = AuditFileSink::open(log, test::key_from_hex(dir), test::file_options(0));
    ASSERT_TRUE(sink);
    threads.emplace_back([&failures, w, s = *sink] {
      for (int i = 0; i < kPerWriter; ++i) {
        if (!s->append(writer_event(w, i))) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  expect_intact(log, test::key_from_hex(dir), kWriters * kPerWriter);
}

TEST(AuditConcurrency, SeveralProcessesWithFsyncPerRecord) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto key_file = test::write_key(dir, "key", test::kKeyHex);
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: its own key load, open file description and lock; exit status reports failures.
      auto key = AuditKey::from_file(key_file);
      if (!key) _exit(2);
      auto sink = AuditFileSink::open(log, std::move(*key), test::file_options(1));
      if (!sink) _exit(3);
      int failed = 0;
      for (int i = 0; i < kPerWriter; ++i) {
        if (!(*sink)->append(writer_event(w, i))) ++failed;
      }
      _exit(failed == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (const pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status)) << "writer crashed";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "writer process reported failed appends";
  }
  expect_intact(log, test::key_from_hex(dir), kWriters * kPerWriter);
}

TEST(AuditConcurrency, ProcessesAndThreadsTogether) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto key_file = test::write_key(dir, "key", test::kKeyHex);
  constexpr int kProcs = 3;
  constexpr int kThreads = 3;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto key = AuditKey::from_file(key_file);
      if (!key) _exit(2);
      auto sink = AuditFileSink::open(log, std::move(*key), test::file_options(0));
      if (!sink) _exit(3);
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < kPerWriter; ++i) (*sink)->on_event(writer_event(p * kThreads + t, i));
        });
      }
      for (auto& th : threads) th.join();
      _exit((*sink)->failures() == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (const pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  expect_intact(log, test::key_from_hex(dir), kProcs * kThreads * kPerWriter);
}

// The anchor only ever moves forward: writers that sync every record race writers that anchor
// their last record only at flush (by then usually behind), while a reader watches the anchor.
TEST(AuditConcurrency, AnchorNeverMovesBackUnderConcurrentWriters) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  const auto anchors = dir / "anchors";
  const auto key_file = test::write_key(dir, "key", test::kKeyHex);
  ASSERT_TRUE(test::write_log(log, test::key_from_hex(dir), 1, 1, anchors));  // fixes the log id
  const auto anchor_file = audit_anchor_path(anchors, verify_audit_log(log, test::key_from_hex(dir))->log_id);
  constexpr std::size_t kFsyncEvery[kWriters] = {1, 0, 1, 7};
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto key = AuditKey::from_file(key_file);
      if (!key) _exit(2);
      auto sink = AuditFileSink::open(log, std::move(*key), test::file_options(kFsyncEvery[w], anchors));
      if (!sink) _exit(3);
      int failed = 0;
      for (int i = 0; i < kPerWriter; ++i) {
        if (!(*sink)->append(writer_event(w, i))) ++failed;
      }
      if (!(*sink)->flush()) ++failed;
      _exit(failed == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  // Watch from this process only after forking (no thread of ours is copied into a child).
  std::atomic<bool> done{false};
  std::uint64_t highest = 0;
  int reads = 0;
  std::vector<std::string> regressions;
  std::thread watcher([&] {
    while (!done) {
      const std::string text = test::read_file(anchor_file);
      const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.contains("seq")) {
        regressions.push_back("unreadable anchor (a replace that was not atomic): " + text);
        continue;
      }
      const auto seq = j["seq"].get<std::uint64_t>();
      if (seq < highest) regressions.push_back(std::to_string(highest) + " -> " + std::to_string(seq));
      highest = std::max(highest, seq);
      ++reads;
    }
  });
  for (const pid_t pid : pids) {
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  done = true;
  watcher.join();
  EXPECT_TRUE(regressions.empty()) << regressions.size() << " times, first: " << regressions.front();
  EXPECT_GT(reads, 0);
  AuditVerifyOptions options;
  options.anchor_dir = anchors;
  options.require_anchor = true;
  auto r = verify_audit_log(log, test::key_from_hex(dir), options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->anchor, AuditAnchorState::matched);
  EXPECT_EQ(r->anchor_seq, 1u + kWriters * kPerWriter) << "every writer flushed, so the last record is anchored";
}

TEST(AuditConcurrency, VerifyingALiveLogSeesAConsistentSnapshot) {
  TempDir dir;
  const auto log = dir / "audit.jsonl";
  auto sink = AuditFileSink::open(log, test::key_from_hex(dir), test::file_options(0));
  ASSERT_TRUE(sink);
  ASSERT_TRUE((*sink)->append(writer_event(0, -1)));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) (*sink)->on_event(writer_event(0, i));
    done = true;
  });
  const auto key = test::key_from_hex(dir);
  int checks = 0;
  std::uint64_t last_seen = 0;
  while (!done || checks < 5) {
    auto r = verify_audit_log(log, key);
    if (!r) {
      ADD_FAILURE() << "verify during appends: " << r.error().message;
      break;  // still join the writer below
    }
    EXPECT_GE(r->records, last_seen);
    last_seen = r->records;
    ++checks;
  }
  writer.join();
  EXPECT_EQ((*sink)->failures(), 0u);
  EXPECT_GE(checks, 5);
}

}  // namespace
}  // namespace kavach
