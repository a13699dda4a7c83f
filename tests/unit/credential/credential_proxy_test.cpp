#include "kavach/credential.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>

#include "support/temp_dir.hpp"

namespace kavach {
namespace {

using test::TempDir;
using test::write_file;

constexpr const char* kValue = "s3cr3t-Zq9-value";

// Every error a caller can see must keep the value out of its message and context.
void expect_no_value(const Error& e, std::string_view value) {
  EXPECT_EQ(e.describe().find(value), std::string::npos) << e.describe();
  for (const auto& [k, v] : e.context) EXPECT_EQ(v.find(value), std::string::npos) << k;
}

bool has_value(const CredentialProxy& p, std::string_view v) {
  const auto vals = p.values();
  return std::find(vals.begin(), vals.end(), v) != vals.end();
}

TEST(CredentialProxy, FromEnvironmentVariable) {
  ::setenv("KAVACH_TEST_SECRET_ENV", kValue, 1);
  CredentialProxy p;
  ASSERT_TRUE(p.add_from_env("TOKEN", "KAVACH_TEST_SECRET_ENV"));
  ::unsetenv("KAVACH_TEST_SECRET_ENV");
  EXPECT_TRUE(p.contains("TOKEN"));
  EXPECT_TRUE(has_value(p, kValue));
}

TEST(CredentialProxy, UnsetOrEmptyEnvironmentVariableIsAnError) {
  ::unsetenv("KAVACH_TEST_SECRET_UNSET");
  CredentialProxy p;
  auto r = p.add_from_env("TOKEN", "KAVACH_TEST_SECRET_UNSET");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::secret_error);
  EXPECT_NE(r.error().message.find("KAVACH_TEST_SECRET_UNSET is not set"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("'TOKEN'"), std::string::npos);
  ::setenv("KAVACH_TEST_SECRET_EMPTY", "", 1);
  auto e = p.add_from_env("TOKEN", "KAVACH_TEST_SECRET_EMPTY");
  ::unsetenv("KAVACH_TEST_SECRET_EMPTY");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("is empty"), std::string::npos);
  EXPECT_EQ(p.size(), 0u);
}

TEST(CredentialProxy, FromFileReadOnceWithoutTrailingNewline) {
  TempDir dir;
  const auto file = dir / "token";
  write_file(file, std::string(kValue) + "\n");
  CredentialProxy p;
  ASSERT_TRUE(p.add_from_file("TOKEN", file));
  write_file(file, "changed-later");  // read once: later changes do not matter
  EXPECT_TRUE(has_value(p, kValue));
  EXPECT_FALSE(has_value(p, "changed-later"));
}

TEST(CredentialProxy, UnreadableFileSourcesAreErrors) {
  TempDir dir;
  CredentialProxy p;
  auto missing = p.add_from_file("A", dir / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::secret_error);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;

  auto directory = p.add_from_file("A", dir.path());
  ASSERT_FALSE(directory);
  EXPECT_NE(directory.error().message.find("Is a directory"), std::string::npos) << directory.error().message;

  write_file(dir / "empty", "\n");
  auto empty = p.add_from_file("A", dir / "empty");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("is empty"), std::string::npos);

  auto huge = p.add_from_file("A", "/dev/zero");
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("larger than"), std::string::npos) << huge.error().message;
  EXPECT_EQ(p.size(), 0u);
}

TEST(CredentialProxy, FromCommandOutput) {
  CredentialProxy p;
  ASSERT_TRUE(p.add_from_command("TOKEN", std::string("printf '%s\\n' ") + kValue));
  EXPECT_TRUE(has_value(p, kValue));
}

TEST(CredentialProxy, FailingCommandsAreErrorsWithoutTheirOutput) {
  CredentialProxy p;
  // Prints the value, then fails: the value must not leak into the error.
  auto failed = p.add_from_command("A", std::string("echo ") + kValue + "; exit 3");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::secret_error);
  EXPECT_NE(failed.error().message.find("exited with status 3"), std::string::npos) << failed.error().message;

  auto killed = p.add_from_command("A", "kill -9 $$");
  ASSERT_FALSE(killed);
  EXPECT_NE(killed.error().message.find("killed by signal 9"), std::string::npos) << killed.error().message;

  auto silent = p.add_from_command("A", "true");
  ASSERT_FALSE(silent);
  EXPECT_NE(silent.error().message.find("printed nothing"), std::string::npos);

  auto flood = p.add_from_command("A", "exec cat /dev/zero");
  ASSERT_FALSE(flood);
  EXPECT_NE(flood.error().message.find("larger than"), std::string::npos) << flood.error().message;
  EXPECT_EQ(p.size(), 0u);
}

TEST(CredentialProxy, DuplicateAndInvalidNamesAreErrors) {
  CredentialProxy p;
  ASSERT_TRUE(p.add_value("TOKEN", kValue));
  auto dup = p.add_value("TOKEN", "other-value");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::secret_error);
  EXPECT_NE(dup.error().message.find("registered twice"), std::string::npos);
  expect_no_value(dup.error(), kValue);

  // A duplicate is refused before its command runs.
  TempDir dir;
  const auto marker = dir / "ran";
  auto dup_cmd = p.add_from_command("TOKEN", "touch " + marker.string() + "; echo x");
  ASSERT_FALSE(dup_cmd);
  EXPECT_FALSE(std::filesystem::exists(marker));

  EXPECT_FALSE(p.add_value("bad name", "v"));
  EXPECT_FALSE(p.add_value("9lives", "v"));
  EXPECT_FALSE(p.add_value("EMPTY", ""));
}

TEST(CredentialProxy, MoveTransfersSecrets) {
  CredentialProxy a;
  ASSERT_TRUE(a.add_value("TOKEN", kValue));
  CredentialProxy b = std::move(a);
  EXPECT_TRUE(b.contains("TOKEN"));
  EXPECT_TRUE(has_value(b, kValue));
}

TEST(CredentialProxy, ReportsWhetherValuesAreLocked) {
  CredentialProxy p;
  ASSERT_TRUE(p.add_value("A", kValue));
  if (geteuid() == 0) {
    EXPECT_TRUE(p.memory_locked());
  }
  EXPECT_EQ(p.names(), std::vector<std::string>{"A"});
}

}  // namespace
}  // namespace kavach

namespace kavach {
namespace {

std::string reason_of(const Result<void>& r) {
  if (r) return "<ok>";
  EXPECT_EQ(r.error().code, ErrorCode::secret_error) << r.error().message;
  auto it = r.error().context.find("reason");
  return it == r.error().context.end() ? "<no reason>" : it->second;
}

TEST(CredentialProxyReasons, ShortSecretsAreRefusedAtRegistration) {
  CredentialProxy p;
  auto short_value = p.add_value("PIN", "123");
  EXPECT_EQ(reason_of(short_value), "too_short");
  EXPECT_NE(short_value.error().message.find("at least 4"), std::string::npos) << short_value.error().message;
  EXPECT_EQ(short_value.error().message.find("123"), std::string::npos) << "the value is in the error";
  ::setenv("KAVACH_TEST_SHORT", "abc", 1);
  EXPECT_EQ(reason_of(p.add_from_env("PIN", "KAVACH_TEST_SHORT")), "too_short");
  ::unsetenv("KAVACH_TEST_SHORT");
  EXPECT_EQ(reason_of(p.add_from_command("PIN", "echo ab")), "too_short");
  EXPECT_EQ(p.size(), 0u);
  EXPECT_TRUE(p.add_value("PIN", "1234")) << "4 bytes is the minimum";
}

TEST(CredentialProxyReasons, EachCaseHasItsReason) {
  CredentialProxy p;
  ASSERT_TRUE(p.add_value("TOKEN", "value-1234"));
  EXPECT_EQ(reason_of(p.add_value("TOKEN", "value-5678")), "duplicate_name");
  EXPECT_EQ(reason_of(p.add_value("9bad", "value-5678")), "invalid_name");
  ::unsetenv("KAVACH_TEST_UNSET_VAR");
  EXPECT_EQ(reason_of(p.add_from_env("A", "KAVACH_TEST_UNSET_VAR")), "unreadable_source");
  EXPECT_EQ(reason_of(p.add_from_file("A", "/nonexistent/kavach-secret")), "unreadable_source");
  EXPECT_EQ(reason_of(p.add_from_command("A", "exit 3")), "unreadable_source");
  EXPECT_EQ(reason_of(p.add_from_command("A", "true")), "empty_source");
  EXPECT_EQ(reason_of(p.validate({{"NOPE", InjectionMethod::env, "X"}}, Command{})), "unknown_name");
  EXPECT_EQ(reason_of(p.validate({{"TOKEN", InjectionMethod::env, "X"}, {"TOKEN", InjectionMethod::env, "X"}},
                                 Command{})),
            "duplicate_target");
  EXPECT_EQ(reason_of(p.validate({{"TOKEN", InjectionMethod::env, "1X"}}, Command{})), "invalid_target");
  EXPECT_EQ(reason_of(p.validate({{"TOKEN", InjectionMethod::env, "HOME"}}, Command{}, {"PATH", "HOME"})),
            "duplicate_target");
  EXPECT_TRUE(p.validate({{"TOKEN", InjectionMethod::env, "API"}}, Command{}, {"PATH", "HOME"}));
}

}  // namespace
}  // namespace kavach
