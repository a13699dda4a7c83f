// RunCgroup pieces that do not need a live cgroup tree: limit files written into a plain
// directory that stands in for a cgroup (the kernel's files are pre-created, or missing), and
// CPU accounting that fails to set up. The live paths are covered by the integration tests.
#include "backends/common/cgroup.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace kavach::common {
namespace {

using test::TempDir;
using test::read_file;
using test::write_file;

CgroupLimits memory_and_swap(std::uint64_t mem, std::optional<std::uint64_t> swap) {
  CgroupLimits l;
  l.memory_bytes = mem;
  l.swap_bytes = swap;
  return l;
}

TEST(CgroupLimitFiles, V1SwapLimitWithoutMemswFileFailsNamingTheFile) {
  TempDir d;
  write_file(d / "memory.limit_in_bytes", "");
  const std::string e = write_cgroup_limit("memory", false, d.path().string(), memory_and_swap(64 << 20, 0));
  EXPECT_NE(e.find("memory.memsw.limit_in_bytes does not exist"), std::string::npos) << e;
  EXPECT_NE(e.find("limits swap"), std::string::npos) << e;
}

TEST(CgroupLimitFiles, V1SwapLimitIsMemoryPlusSwap) {
  TempDir d;
  write_file(d / "memory.limit_in_bytes", "");
  write_file(d / "memory.memsw.limit_in_bytes", "");
  const std::string e = write_cgroup_limit("memory", false, d.path().string(), memory_and_swap(64 << 20, 1 << 20));
  EXPECT_EQ(e, "");
  EXPECT_EQ(read_file(d / "memory.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(read_file(d / "memory.memsw.limit_in_bytes"), std::to_string((64 << 20) + (1 << 20)));
}

TEST(CgroupLimitFiles, V2SwapLimitWithoutSwapMaxFailsNamingTheFile) {
  TempDir d;
  write_file(d / "memory.max", "");
  const std::string e = write_cgroup_limit("memory", true, d.path().string(), memory_and_swap(64 << 20, 0));
  EXPECT_NE(e.find("memory.swap.max does not exist"), std::string::npos) << e;
  write_file(d / "memory.swap.max", "");
  EXPECT_EQ(write_cgroup_limit("memory", true, d.path().string(), memory_and_swap(64 << 20, 0)), "");
  EXPECT_EQ(read_file(d / "memory.swap.max"), "0");
}

// Mitigation-off arm: no swap limit asked, no swap file needed.
TEST(CgroupLimitFiles, NoSwapLimitNeedsNoSwapFile) {
  TempDir d;
  write_file(d / "memory.limit_in_bytes", "");
  EXPECT_EQ(write_cgroup_limit("memory", false, d.path().string(), memory_and_swap(64 << 20, std::nullopt)), "");
  EXPECT_EQ(read_file(d / "memory.limit_in_bytes"), std::to_string(64 << 20));
}

TEST(CgroupCpuAccounting, NoV2TreeAndNoCpuacctIsAFailure) {
  CgroupInfo host;
  host.layout = CgroupLayout::v1;
  CgroupSetup setup;
  setup.name = "run-unit-test";
  setup.cpu_accounting = true;
  RunCgroup cg = RunCgroup::create(host, setup);
  ASSERT_EQ(cg.failures().count("cpuacct"), 1u);
  EXPECT_NE(cg.failures().at("cpuacct").find("no v1 cpuacct hierarchy"), std::string::npos);
  EXPECT_FALSE(cg.cpu_usage_usec().has_value());
  EXPECT_EQ(cg.cpu_accounting_where(), "");
}

TEST(CgroupCpuAccounting, CpuacctDirectoryWithoutUsageFileIsAFailure) {
  TempDir mount;  // a plain directory: mkdir works, but no kernel file appears in it
  CgroupInfo host;
  host.layout = CgroupLayout::v1;
  host.v1_mounts["cpuacct"] = mount.path().string();
  CgroupSetup setup;
  setup.name = "run-unit-test";
  setup.cpu_accounting = true;
  RunCgroup cg = RunCgroup::create(host, setup);
  ASSERT_EQ(cg.failures().count("cpuacct"), 1u);
  EXPECT_NE(cg.failures().at("cpuacct").find("cpuacct.usage"), std::string::npos) << cg.failures().at("cpuacct");
  cg.destroy();
  EXPECT_FALSE(std::filesystem::exists(mount / "kavach/run-unit-test"));
}

}  // namespace
}  // namespace kavach::common
