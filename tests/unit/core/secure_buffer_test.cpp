#include "core/secure_buffer.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace kavach::detail {
namespace {

// The kernel's VmFlags for the mapping holding `addr` (from /proc/self/smaps), e.g. "rd wr mr ... dd wf".
std::string vm_flags_of(const void* addr) {
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = a >= lo && a < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line.substr(8) + " ";
  }
  return {};
}

TEST(SecureBuffer, HoldsBytesAndGrowsAcrossPages) {
  auto b = SecureBuffer::copy_of("abc");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->view(), "abc");
  const std::string big(10000, 'x');
  ASSERT_TRUE(b->append(big.data(), big.size()));
  EXPECT_EQ(b->size(), 10003u);
  EXPECT_EQ(b->view().substr(0, 4), "abcx");
}

TEST(SecureBuffer, PagesAreExcludedFromCoreDumpsAndWipedInForkedChildren) {
  auto b = SecureBuffer::copy_of("top-secret-value");
  ASSERT_TRUE(b);
  const std::string flags = vm_flags_of(b->view().data());
  ASSERT_FALSE(flags.empty()) << "mapping not found in /proc/self/smaps";
  EXPECT_NE(flags.find(" dd "), std::string::npos) << "MADV_DONTDUMP missing: " << flags;
  EXPECT_NE(flags.find(" wf "), std::string::npos) << "MADV_WIPEONFORK missing: " << flags;
}

// AddressSanitizer's runtime replaces mlock() with a no-op that reports success.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMlockIntercepted = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMlockIntercepted = true;
#else
constexpr bool kMlockIntercepted = false;
#endif
#else
constexpr bool kMlockIntercepted = false;
#endif

TEST(SecureBuffer, LockedTellsTheTruthAboutMlock) {
  if (kMlockIntercepted) GTEST_SKIP() << "built with AddressSanitizer, whose mlock() is a no-op returning 0";
  auto b = SecureBuffer::copy_of("top-secret-value");
  ASSERT_TRUE(b);
  const std::string flags = vm_flags_of(b->view().data());
  ASSERT_FALSE(flags.empty()) << "mapping not found in /proc/self/smaps";
  EXPECT_EQ(flags.find(" lo ") != std::string::npos, b->locked()) << flags;
}

TEST(SecureBuffer, LockedWhenTheMemlockLimitAllows) {
  if (geteuid() != 0) GTEST_SKIP() << "mlock of a page needs RLIMIT_MEMLOCK room or CAP_IPC_LOCK; run as root";
  auto b = SecureBuffer::copy_of("x");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->locked());
}

TEST(SecureBuffer, ForkedChildSeesZerosNotTheSecret) {
  auto b = SecureBuffer::copy_of("top-secret-value");
  ASSERT_TRUE(b);
  const char* p = b->view().data();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: MADV_WIPEONFORK gave us zero pages in place of the secret.
    for (std::size_t i = 0; i < 16; ++i) {
      if (p[i] != 0) _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the forked child could read the secret";
  EXPECT_EQ(b->view(), "top-secret-value");  // the parent keeps it
}

TEST(SecureBuffer, TruncateWipesTheCutBytes) {
  auto b = SecureBuffer::copy_of("keep-DROPME");
  ASSERT_TRUE(b);
  const char* p = b->view().data();
  b->truncate(4);
  EXPECT_EQ(b->view(), "keep");
  for (std::size_t i = 4; i < 11; ++i) EXPECT_EQ(p[i], '\0') << "byte " << i << " not wiped";
}

TEST(SecureBuffer, GrowingWipesAndUnmapsTheOldPages) {
  auto b = SecureBuffer::copy_of("first");
  ASSERT_TRUE(b);
  const void* old = b->view().data();
  const std::string big(3 * 4096, 'y');
  ASSERT_TRUE(b->append(big.data(), big.size()));
  EXPECT_NE(static_cast<const void*>(b->view().data()), old);
  EXPECT_TRUE(vm_flags_of(old).empty()) << "old mapping still present";
  EXPECT_EQ(b->view().substr(0, 5), "first");
}

TEST(SecureBuffer, MoveLeavesTheSourceEmpty) {
  auto b = SecureBuffer::copy_of("v");
  ASSERT_TRUE(b);
  SecureBuffer moved = std::move(*b);
  EXPECT_EQ(moved.view(), "v");
  EXPECT_TRUE(b->empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
}

TEST(SecureBuffer, WipeClearsHeapCopies) {
  std::string s = "copy-of-secret";
  const char* p = s.data();
  wipe(s);
  EXPECT_TRUE(s.empty());
  for (std::size_t i = 0; i < 14; ++i) EXPECT_EQ(p[i], '\0') << "byte " << i << " not wiped";
}

}  // namespace
}  // namespace kavach::detail
