// argv/envp construction: an empty environment but for the allow-list and injected values.
#include "backends/process/command_args.hpp"
#include "core/sandbox_environment.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kavach::process {
namespace {

std::vector<std::string> strings(const CStringArray& a) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < a.size(); ++i) out.push_back(a.at(i));
  return out;
}

TEST(CommandArgs, EnvironmentIsOnlyAllowListAndInjected) {
  ::setenv("KAVACH_T_ALLOWED", "a", 1);
  ::setenv("KAVACH_T_SECRET", "s", 1);
  SandboxPolicy p;
  p.env_allow = {"KAVACH_T_ALLOWED", "KAVACH_T_MISSING"};
  Command c{{"prog"}, {{"KAVACH_T_ALLOWED", "override"}, {"X", "1"}}, {}, {}};
  CommandArrays a;
  ASSERT_TRUE(build_command_arrays(p, c, a).has_value());
  // The default PATH is part of the environment's one meaning (core/sandbox_environment.hpp).
  EXPECT_EQ(strings(a.envp), (std::vector<std::string>{"KAVACH_T_ALLOWED=override",
                                                       std::string("PATH=") + kDefaultPath, "X=1"}));
  EXPECT_EQ(a.envp.data()[3], nullptr);
}

TEST(CommandArgs, SearchPathIsTheSandboxPathOrTheDefault) {
  SandboxPolicy p;
  CommandArrays a;
  ASSERT_TRUE(build_command_arrays(p, Command{{"sh", "-c", "x"}, {}, {}, {}}, a).has_value());
  EXPECT_EQ(a.exec_paths.at(0), "/usr/local/sbin/sh");
  EXPECT_EQ(a.exec_paths.at(a.exec_paths.size() - 1), "/bin/sh");
  CommandArrays b;
  ASSERT_TRUE(build_command_arrays(p, Command{{"tool"}, {{"PATH", "/opt/bin::/x"}}, {}, {}}, b).has_value());
  EXPECT_EQ(strings(b.exec_paths), (std::vector<std::string>{"/opt/bin/tool", "./tool", "/x/tool"}));
  CommandArrays c;
  ASSERT_TRUE(build_command_arrays(p, Command{{"/abs/prog"}, {}, {}, {}}, c).has_value());
  EXPECT_EQ(strings(c.exec_paths), (std::vector<std::string>{"/abs/prog"}));
}

TEST(CommandArgs, BadInputIsRefused) {
  SandboxPolicy p;
  CommandArrays a;
  EXPECT_EQ(build_command_arrays(p, Command{}, a).error().code, ErrorCode::invalid_argument);
  CommandArrays b;
  EXPECT_EQ(build_command_arrays(p, Command{{"x", std::string("a\0b", 3)}, {}, {}, {}}, b).error().code,
            ErrorCode::invalid_argument);
  CommandArrays c;
  EXPECT_EQ(build_command_arrays(p, Command{{"x"}, {{"A=B", "v"}}, {}, {}}, c).error().code,
            ErrorCode::invalid_argument);
  p.env_allow = {"BAD=NAME"};
  CommandArrays d;
  EXPECT_EQ(build_command_arrays(p, Command{{"x"}, {}, {}, {}}, d).error().code, ErrorCode::policy_value);
}

}  // namespace
}  // namespace kavach::process
