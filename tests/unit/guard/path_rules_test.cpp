// The protected-path guard's decisions (pure string logic) and its command line.
#include <gtest/gtest.h>

#include "guard/guard_args.hpp"
#include "guard/path_rules.hpp"

namespace kavach::guard {
namespace {

const PathRules& agentish() {
  static const PathRules r({"/w", "/data/proj"}, {".git/hooks", ".git/config", ".envrc", ".github/workflows", "/w/abs/secret"});
  return r;
}

TEST(PathRules, RelativeNamesHoldAtEveryDepthBelowAWritableRoot) {
  const PathRules& r = agentish();
  for (const char* p : {"/w/.git/hooks", "/w/.git/hooks/pre-commit", "/w/.git/config", "/w/.envrc",
                        "/w/a/b/.git/hooks/x", "/w/vendor/lib/.git/config", "/data/proj/.envrc",
                        "/w/.github/workflows/ci.yml", "/w/sub/.github/workflows"}) {
    EXPECT_EQ(r.classify(p), Verdict::protected_) << p;
  }
}

TEST(PathRules, AncestorsAreOnlyForDirectories) {
  const PathRules& r = agentish();
  for (const char* p : {"/w/.git", "/w/a/.git", "/w/.github", "/w/abs"}) EXPECT_EQ(r.classify(p), Verdict::ancestor) << p;
}

TEST(PathRules, EverythingElseIsFreeOrOutside) {
  const PathRules& r = agentish();
  for (const char* p : {"/w/src/main.c", "/w/.git/objects/ab/cdef", "/w/.git/index.lock", "/w/.git/HEAD",
                        "/w/.gitignore", "/w/x.envrc", "/w/.envrc2", "/w/hooks", "/w/git/hooks"}) {
    EXPECT_EQ(r.classify(p), Verdict::free) << p;
  }
  for (const char* p : {"/tmp/.envrc", "/w", "/wx/.envrc", "/data/.envrc", "/", "pipe:[123]"}) {
    EXPECT_EQ(r.classify(p), Verdict::outside) << p;
  }
}

TEST(PathRules, AbsoluteEntriesHoldExactlyWhereTheyAre) {
  const PathRules& r = agentish();
  EXPECT_EQ(r.classify("/w/abs/secret"), Verdict::protected_);
  EXPECT_EQ(r.classify("/w/abs/secret/deeper"), Verdict::protected_);
  EXPECT_EQ(r.classify("/w/x/abs/secret"), Verdict::free);
}

TEST(PathRules, PathsAreComparedByComponent) {
  const PathRules& r = agentish();
  EXPECT_EQ(r.classify("/w//a/./.envrc"), Verdict::protected_);
  EXPECT_EQ(r.classify("/w/.git/hooksx"), Verdict::free);
}

TEST(GuardArgs, RoundTripAndRefusals) {
  GuardArgs a;
  a.writable_roots = {"/w"};
  a.protected_paths = {".git/hooks", "/w/abs"};
  a.notify_bpf_hex = "060000000000ff7f";
  a.status_fd = 7;
  a.status_stage_guard = 16;
  a.status_stage_exec = 14;
  a.exec_paths = {"/usr/bin/sh"};
  a.argv = {"sh", "-c", "echo -- --root"};
  std::vector<std::string> words = {"kavach-guard"};
  for (auto& w : to_argv(a)) words.push_back(w);
  std::vector<const char*> argv;
  for (auto& w : words) argv.push_back(w.c_str());
  GuardArgs b;
  std::string error;
  ASSERT_TRUE(parse_guard_args(static_cast<int>(argv.size()), argv.data(), b, error)) << error;
  EXPECT_EQ(b.writable_roots, a.writable_roots);
  EXPECT_EQ(b.protected_paths, a.protected_paths);
  EXPECT_EQ(b.notify_bpf_hex, a.notify_bpf_hex);
  EXPECT_EQ(b.status_fd, 7);
  EXPECT_EQ(b.status_stage_guard, 16);
  EXPECT_EQ(b.status_stage_exec, 14);
  EXPECT_EQ(b.exec_paths, a.exec_paths);
  EXPECT_EQ(b.argv, a.argv);

  for (const std::vector<const char*>& bad : std::vector<std::vector<const char*>>{
           {"g", "--root", "rel", "--notify-bpf", "060000000000ff7f", "--", "true"},
           {"g", "--notify-bpf", "0600", "--", "true"},
           {"g", "--notify-bpf", "060000000000ff7f"},
           {"g", "--bogus", "--", "true"},
           {"g", "--status-fd", "x", "--notify-bpf", "060000000000ff7f", "--", "true"}}) {
    GuardArgs c;
    EXPECT_FALSE(parse_guard_args(static_cast<int>(bad.size()), bad.data(), c, error)) << bad[1];
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace kavach::guard
