// A test that runs the CLI on the real process backend: skips when the backend cannot run here,
// and gives each test a fresh host directory others may read (read-only mounts keep the host's
// modes, and the sandbox user is not its owner).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kavach/backend.hpp"

namespace kavach::cli {

class CliSandboxTest : public testing::Test {
 protected:
  void SetUp() override {
    auto b = create_backend(BackendKind::process);
    if (!b || !(*b)->availability().available) {
      GTEST_SKIP() << "process backend unavailable: " << (b ? (*b)->availability().reason : b.error().message);
    }
    char tmpl[] = "/tmp/kavach-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    namespace fs = std::filesystem;
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

  std::filesystem::path dir_;
};

}  // namespace kavach::cli
