// Cgroup layout detection on fixture mountinfo files for v2, hybrid and v1 hosts.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "host/cgroup_probe.hpp"

namespace kavach {
namespace {

class CgroupFixture : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("kavach-cg-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(CgroupFixture, PureV2) {
  std::filesystem::create_directories(dir_ / "cg2");
  write("cg2/cgroup.controllers", "cpuset cpu io memory pids\n");
  auto mi = write("mountinfo", "30 23 0:26 / " + (dir_ / "cg2").string() +
                                   " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  auto self = write("self", "0::/user.slice/session-1.scope\n");
  auto info = host::probe_cgroups(mi, self);
  EXPECT_EQ(info.layout, CgroupLayout::v2);
  EXPECT_EQ(info.limit_controllers.at("memory"), "v2");
  EXPECT_EQ(info.limit_controllers.at("pids"), "v2");
  EXPECT_EQ(info.own_paths.at("v2"), "/user.slice/session-1.scope");
}

TEST_F(CgroupFixture, HybridLikeThisMachine) {
  std::filesystem::create_directories(dir_ / "unified");
  write("unified/cgroup.controllers", "\n");
  auto mi = write("mountinfo",
                  "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                  "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                  "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
                  "41 31 0:38 / " + (dir_ / "unified").string() + " rw,relatime - cgroup2 cgroup2 rw\n");
  auto self = write("self", "8:pids:/\n4:memory:/a/b\n0::/\n");
  auto info = host::probe_cgroups(mi, self);
  EXPECT_EQ(info.layout, CgroupLayout::hybrid);
  EXPECT_EQ(info.limit_controllers.at("memory"), "v1");
  EXPECT_EQ(info.limit_controllers.at("cpu"), "v1");
  EXPECT_EQ(info.v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(info.own_paths.at("memory"), "/a/b");
}

TEST_F(CgroupFixture, PureV1AndNone) {
  auto mi = write("mountinfo", "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  auto self = write("self", "");
  auto v1 = host::probe_cgroups(mi, self);
  EXPECT_EQ(v1.layout, CgroupLayout::v1);
  EXPECT_EQ(v1.limit_controllers.count("pids"), 0u) << "no pids hierarchy mounted";
  auto none = host::probe_cgroups(write("empty", ""), self);
  EXPECT_EQ(none.layout, CgroupLayout::none);
  EXPECT_TRUE(none.limit_controllers.empty());
}

TEST(HostProbe, LiveProbeIsConsistent) {
  const HostInfo h = probe_host();
  EXPECT_FALSE(h.kernel_release.empty());
  EXPECT_GE(h.landlock_abi, 0);
  if (h.cgroups.layout == CgroupLayout::none) GTEST_SKIP() << "no cgroup filesystem mounted";
  EXPECT_FALSE(h.cgroups.limit_controllers.empty() && h.cgroups.v1_mounts.size() + h.cgroups.v2_controllers.size() > 0);
}

}  // namespace
}  // namespace kavach
