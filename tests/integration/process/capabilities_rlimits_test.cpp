// Capabilities and rlimits against the real kernel, each with a negative control (the same
// child without the drop / limit must be able to do what is then refused).
#include <fcntl.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/process/capabilities.hpp"
#include "backends/process/rlimits.hpp"
#include "process/child.hpp"

namespace kavach {
namespace {

namespace fs = std::filesystem;
using testing::run_in_child;

std::string field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      auto v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "<missing>";
}

process::PreparedCapabilities caps(std::vector<std::string> keep) {
  auto r = process::prepare_capabilities(keep);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? *r : process::PreparedCapabilities{};
}

// Child: optionally drop, then exec `argv` (so the sets are checked after execve, where they
// matter).
testing::ChildResult exec_after(const process::PreparedCapabilities* c, std::vector<std::string> argv) {
  return run_in_child([&] {
    if (c) {
      if (const int rc = process::apply_capabilities(*c); rc != 0) {
        std::printf("apply_capabilities: %s\n", std::strerror(-rc));
        return 90;
      }
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    return 127;
  });
}

class Capabilities : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root: the negative control must hold capabilities";
  }
};

TEST_F(Capabilities, AllSetsEmptyAfterExecAndNoNewPrivs) {
  const auto drop = caps({});
  auto with = exec_after(&drop, {"/bin/cat", "/proc/self/status"});
  ASSERT_TRUE(with.ok()) << with.describe();
  for (const char* k : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_EQ(field(with.output, k), "0000000000000000") << k;
  }
  EXPECT_EQ(field(with.output, "NoNewPrivs"), "1");
  // Negative control: the same exec without the drop runs with root's capabilities.
  auto without = exec_after(nullptr, {"/bin/cat", "/proc/self/status"});
  ASSERT_TRUE(without.ok()) << without.describe();
  EXPECT_NE(field(without.output, "CapEff"), "0000000000000000");
  EXPECT_NE(field(without.output, "CapBnd"), "0000000000000000");
  EXPECT_EQ(field(without.output, "NoNewPrivs"), "0");
}

TEST_F(Capabilities, PrivilegedOperationFailsAfterDrop) {
  const fs::path f = fs::temp_directory_path() / ("kavach-cap-" + std::to_string(getpid()));
  std::ofstream(f) << "x";
  const auto drop = caps({});
  const auto keep_chown = caps({"CAP_CHOWN"});
  const std::string path = f.string();
  auto with = exec_after(&drop, {"/bin/chown", "1234:1234", path});
  EXPECT_NE(with.exit_code, 0) << "chown to another uid must fail without CAP_CHOWN: " << with.describe();
  // Kept capabilities survive exec (ambient), dropped ones do not.
  auto kept = exec_after(&keep_chown, {"/bin/chown", "2345:2345", path});
  EXPECT_TRUE(kept.ok()) << kept.describe();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 2345u) << "the kept capability must have worked after exec";
  auto without = exec_after(nullptr, {"/bin/chown", "3456:3456", path});
  EXPECT_TRUE(without.ok()) << without.describe();
  fs::remove(f);
}

TEST_F(Capabilities, KeptCapabilityIsTheOnlyOne) {
  const auto keep = caps({"cap_net_bind_service"});
  EXPECT_EQ(keep.keep, std::uint64_t{1} << 10);
  auto r = exec_after(&keep, {"/bin/cat", "/proc/self/status"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const char* k : {"CapPrm", "CapEff", "CapBnd", "CapAmb", "CapInh"}) {
    EXPECT_EQ(field(r.output, k), "0000000000000400") << k;
  }
}

TEST_F(Capabilities, SecurebitsLocked) {
  const auto drop = caps({});
  auto r = run_in_child([&] {
    if (process::apply_capabilities(drop) != 0) return 90;
    const int bits = prctl(PR_GET_SECUREBITS);
    const int want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (bits != want) return 1;
    // Locked: cannot be cleared again.
    return prctl(PR_SET_SECUREBITS, 0, 0, 0, 0) == 0 ? 2 : 0;
  });
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(CapabilitiesPrepare, UnknownNameIsAnError) {
  auto r = process::prepare_capabilities({"CAP_NET_BIND_SERVICE", "CAP_FLY"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(r.error().message.find("CAP_FLY"), std::string::npos);
  auto ok = process::prepare_capabilities({});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->keep, 0u);
  EXPECT_GE(ok->last_cap, 40);
  EXPECT_NE(ok->detail.find("all capabilities dropped"), std::string::npos);
}

// Rlimits ------------------------------------------------------------------------------------

testing::ChildResult with_limits(const process::PreparedRlimits* l, const std::function<int()>& body) {
  return run_in_child([&] {
    // Both runs start from a generous core limit so the negative control can differ.
    rlimit core{1U << 20, 1U << 20};
    setrlimit(RLIMIT_CORE, &core);
    if (l) {
      if (const int rc = process::apply_rlimits(*l); rc != 0) {
        std::printf("apply_rlimits: %s\n", std::strerror(-rc));
        return 90;
      }
    }
    return body();
  });
}

TEST(Rlimits, PreparedTable) {
  ResourceLimits lim;
  lim.open_files = 64;
  lim.file_size_bytes = 4096;
  lim.cpu_time_seconds = 5;
  const auto p = process::prepare_rlimits(lim);
  EXPECT_EQ(p.count, 4u);
  EXPECT_EQ(p.detail, "core=0 nofile=64 fsize=4096 cpu=5");
  const auto core_only = process::prepare_rlimits(ResourceLimits{});
  EXPECT_EQ(core_only.count, 1u);
  EXPECT_EQ(core_only.detail, "core=0");
}

TEST(Rlimits, LimitsHoldInTheChild) {
  ResourceLimits lim;
  lim.open_files = 16;
  lim.file_size_bytes = 4096;
  lim.address_space_bytes = 1ULL << 32;
  lim.cpu_time_seconds = 7;
  lim.nproc = 4096;
  const auto p = process::prepare_rlimits(lim);
  auto check = [] {
    struct Want {
      int res;
      rlim_t v;
    };
    const Want wants[] = {{RLIMIT_CORE, 0},          {RLIMIT_NOFILE, 16}, {RLIMIT_FSIZE, 4096},
                          {RLIMIT_AS, 1ULL << 32},   {RLIMIT_CPU, 7},     {RLIMIT_NPROC, 4096}};
    int mismatches = 0;
    for (const auto& w : wants) {
      rlimit r{};
      getrlimit(w.res, &r);
      if (r.rlim_cur != w.v || r.rlim_max != w.v) ++mismatches;
    }
    return mismatches;
  };
  auto with = with_limits(&p, check);
  EXPECT_TRUE(with.ok()) << "limits differ from the policy: " << with.describe();
  auto without = with_limits(nullptr, check);
  EXPECT_TRUE(without.exited);
  EXPECT_GT(without.exit_code, 0) << "negative control: the host limits already equal the policy";
}

TEST(Rlimits, FileSizeAndDescriptorLimitsBite) {
  ResourceLimits lim;
  lim.open_files = 16;
  lim.file_size_bytes = 4096;
  const auto p = process::prepare_rlimits(lim);
  const fs::path f = fs::temp_directory_path() / ("kavach-rl-" + std::to_string(getpid()));
  const std::string path = f.string();
  auto body = [&] {
    signal(SIGXFSZ, SIG_IGN);
    const int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    std::string block(8192, 'x');
    const ssize_t n = write(fd, block.data(), block.size());
    const ssize_t m = write(fd, block.data(), block.size());
    close(fd);
    int opened = 0;
    std::vector<int> fds;
    for (int i = 0; i < 64; ++i) {
      const int d = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (d < 0) break;
      fds.push_back(d);
      ++opened;
    }
    for (int d : fds) close(d);
    // bit 0: file capped at 4096 (second write refused with EFBIG); bit 1: fds capped.
    return (n == 4096 && m < 0 ? 1 : 0) | (opened < 16 ? 2 : 0);
  };
  auto with = with_limits(&p, body);
  EXPECT_TRUE(with.exited);
  EXPECT_EQ(with.exit_code, 3) << with.describe();
  auto without = with_limits(nullptr, body);
  EXPECT_TRUE(without.exited);
  EXPECT_EQ(without.exit_code, 0) << "negative control: writes and opens must succeed unlimited";
  fs::remove(f);
}

}  // namespace
}  // namespace kavach
