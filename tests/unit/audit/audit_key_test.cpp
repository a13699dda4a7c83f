#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "audit/audit_test_support.hpp"

namespace kavach {
namespace {

using test::TempDir;

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

using test::ScopedEnv;

TEST(AuditKey, LoadsHexKeyFiles) {
  TempDir dir;
  auto k = AuditKey::from_file(test::write_key(dir, "k", test::kKeyHex));
  ASSERT_TRUE(k) << k.error().message;
  ASSERT_EQ(k->bytes().size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(k->bytes()[1]), 0x11);
}

TEST(AuditKey, RejectsBadKeyFiles) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0011", "at least 64 hex digits"},
      {std::string(64, 'g'), "is not hex"},
      {std::string(63, 'a'), "at least 64 hex digits"},
  };
  for (const auto& [content, expect] : cases) {
    auto r = AuditKey::from_file(test::write_key(dir, "bad", content));
    ASSERT_FALSE(r) << content;
    EXPECT_EQ(r.error().code, ErrorCode::audit_error);
    EXPECT_NE(r.error().message.find(expect), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(content), std::string::npos) << "key material in the error";
  }
  const auto open = test::write_key(dir, "open", test::kKeyHex);
  ::chmod(open.c_str(), 0644);
  auto r = AuditKey::from_file(open);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("accessible by group or others (mode 0644)"), std::string::npos)
      << r.error().message;
  auto missing = AuditKey::from_file(dir / "none");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  EXPECT_FALSE(AuditKey::from_bytes("short"));
}

TEST(AuditKey, PerUserKeyIsCreatedPrivateOnFirstUseAndReused) {
  TempDir dir;
  ScopedEnv xdg("XDG_STATE_HOME", (dir / "state").string());
  ScopedEnv env("KAVACH_AUDIT_KEY_FILE", std::nullopt);
  auto path = default_audit_key_path();
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, dir / "state" / "kavach" / "audit.key");

  auto none = AuditKey::resolve(std::nullopt, /*create_default=*/false);
  ASSERT_FALSE(none) << "a verifier must never create a key";
  EXPECT_FALSE(std::filesystem::exists(*path));

  auto first = AuditKey::resolve(std::nullopt, true);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(mode_of(*path), 0600u);
  EXPECT_EQ(mode_of(dir / "state" / "kavach"), 0700u);
  EXPECT_EQ(first->bytes().size(), 32u);
  auto again = AuditKey::resolve(std::nullopt, true);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->bytes(), first->bytes());
}

TEST(AuditKey, HomeFallbackWhenXdgStateHomeIsUnset) {
  TempDir dir;
  ScopedEnv xdg("XDG_STATE_HOME", std::nullopt);
  ScopedEnv home("HOME", dir.path().string());
  auto path = default_audit_key_path();
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, dir / ".local" / "state" / "kavach" / "audit.key");
}

TEST(AuditKey, ExplicitFileBeatsEnvironmentBeatsDefault) {
  TempDir dir;
  ScopedEnv xdg("XDG_STATE_HOME", (dir / "state").string());
  const auto a = test::write_key(dir, "a", test::kKeyHex);
  const auto b = test::write_key(dir, "b", test::kOtherKeyHex);
  ScopedEnv env("KAVACH_AUDIT_KEY_FILE", b.string());
  auto from_env = AuditKey::resolve(std::nullopt, true);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(static_cast<unsigned char>(from_env->bytes()[0]), 0xff);
  auto explicit_key = AuditKey::resolve(a, true);
  ASSERT_TRUE(explicit_key);
  EXPECT_EQ(static_cast<unsigned char>(explicit_key->bytes()[0]), 0x00);
  EXPECT_FALSE(std::filesystem::exists(dir / "state")) << "no default key when one was given";
}

TEST(AuditKey, ProcessesRacingToCreateTheKeyAgreeOnIt) {
  TempDir dir;
  const auto key_path = dir / "race" / "audit.key";
  constexpr int kProcs = 6;
  int pipes[kProcs][2];
  std::vector<pid_t> pids;
  for (auto& p : pipes) ASSERT_EQ(::pipe(p), 0);
  for (int i = 0; i < kProcs; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto k = AuditKey::load_or_create(key_path);
      if (!k) _exit(1);
      const auto b = k->bytes();
      _exit(::write(pipes[i][1], b.data(), b.size()) == static_cast<ssize_t>(b.size()) ? 0 : 2);
    }
    pids.push_back(pid);
  }
  std::set<std::string> keys;
  for (int i = 0; i < kProcs; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(pids[static_cast<std::size_t>(i)], &status, 0), pids[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ::close(pipes[i][1]);
    char buf[64];
    const ssize_t n = ::read(pipes[i][0], buf, sizeof buf);
    ::close(pipes[i][0]);
    keys.insert(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
  }
  EXPECT_EQ(keys.size(), 1u) << "racing creators ended with different keys";
  // No temporary files left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir / "race")) ++entries;
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace kavach
