// The run hints on their own (issue 13): a host file the sandbox does not see, a program whose
// ELF loader is gone after fs.readonly_paths replaced the system directories; and lossless bytes.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "core/json_bytes.hpp"
#include "program_interp.hpp"
#include "run_hints.hpp"
#include "support/temp_dir.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;

SandboxPolicy usr_only() {
  SandboxPolicy p = preset_policy(Preset::strict);
  p.fs.readonly_paths = {"/usr"};
  return p;
}

TEST(CliRunHints, ProgramInterpreterReadsPtInterpAndShebangs) {
  const std::string loader = program_interpreter("/usr/bin/true");
  ASSERT_FALSE(loader.empty()) << "/usr/bin/true is dynamically linked on Debian";
  EXPECT_EQ(loader.front(), '/');
  EXPECT_TRUE(fs::exists(loader)) << loader;
  test::TempDir dir;
  test::write_file(dir / "s", "#!/bin/sh -e\necho\n");
  EXPECT_EQ(program_interpreter(dir / "s"), "/bin/sh");
  test::write_file(dir / "short", "#! /x");
  EXPECT_EQ(program_interpreter(dir / "short"), "/x");
  test::write_file(dir / "text", "hello\n");
  EXPECT_EQ(program_interpreter(dir / "text"), "");
  EXPECT_EQ(program_interpreter(dir / "missing"), "");
}

TEST(CliRunHints, MissingLoaderIsNamedWhenReadonlyPathsReplacedTheSystemDirs) {
  Command cmd;
  cmd.argv = {"true"};
  cmd.env = {{"PATH", "/usr/bin"}};
  const std::string loader = program_interpreter("/usr/bin/true");
  ASSERT_FALSE(loader.empty());
  const std::string hint = exec_failure_hint(usr_only(), cmd, ENOENT, "/");
  if (visible_in_sandbox(usr_only(), loader)) GTEST_SKIP() << loader << " lies under /usr on this host";
  EXPECT_NE(hint.find("needs its interpreter " + loader), std::string::npos) << hint;
  EXPECT_NE(hint.find("fs.readonly_paths is [/usr]"), std::string::npos) << hint;
  EXPECT_NE(hint.find("fs.readonly_paths_add"), std::string::npos) << hint;
  // With the preset's list the loader is there: nothing to say.
  EXPECT_EQ(exec_failure_hint(preset_policy(Preset::strict), cmd, ENOENT, "/"), "");
}

TEST(CliRunHints, UnknownProgramAndProgramOutsideTheMounts) {
  Command cmd;
  cmd.argv = {"kavach-no-such-program"};
  EXPECT_NE(exec_failure_hint(preset_policy(Preset::strict), cmd, ENOENT, "/").find("in no directory of the sandbox's PATH"),
            std::string::npos);
  test::TempDir dir;
  const auto tool = dir / "tool";
  test::write_file(tool, "#!/bin/sh\n");
  ::chmod(tool.c_str(), 0755);
  cmd.argv = {"tool"};
  cmd.env = {{"PATH", dir.path().string() + ":/usr/bin"}};
  const std::string hint = exec_failure_hint(preset_policy(Preset::strict), cmd, ENOENT, "/");
  EXPECT_NE(hint.find("add --ro " + dir.path().string()), std::string::npos) << hint;
}

TEST(CliRunHints, ScriptInAnUnmountedCwdIsNamedWithTheFlagsThatMountIt) {
  test::TempDir dir;
  test::write_file(dir / "hello.py", "print('hello')\n");
  SandboxPolicy p = preset_policy(Preset::agent);
  const auto hints = hidden_path_hints(p, {"python3", "./hello.py"}, dir.path());
  ASSERT_EQ(hints.size(), 1u);
  EXPECT_NE(hints[0].find("'./hello.py' is " + (dir / "hello.py").string() + " on the host"), std::string::npos)
      << hints[0];
  EXPECT_NE(hints[0].find("--ro " + dir.path().string() + " --cwd " + dir.path().string()), std::string::npos)
      << hints[0];
  // Mounted but resolved against another working directory: --cwd.
  p.fs.readonly_paths.push_back(dir.path());
  const auto cwd = hidden_path_hints(p, {"python3", "./hello.py"}, dir.path());
  ASSERT_EQ(cwd.size(), 1u);
  EXPECT_NE(cwd[0].find("add --cwd " + dir.path().string()), std::string::npos) << cwd[0];
  // Mounted and the working directory: nothing to say; nor for words that are no host file.
  p.fs.workdir = dir.path();
  EXPECT_TRUE(hidden_path_hints(p, {"python3", "./hello.py", "-c", "x", "no-such-file"}, dir.path()).empty());
}

TEST(CliRunHints, AnImageOrRootfsBringsItsOwnTree) {
  test::TempDir dir;
  test::write_file(dir / "hello.py", "print('hello')\n");
  SandboxPolicy p = preset_policy(Preset::strict);
  p.oci.rootfs = "/";
  EXPECT_TRUE(hidden_path_hints(p, {"python3", "./hello.py"}, dir.path()).empty());
}

TEST(CliJsonBytes, Utf8ValidityMatchesRfc3629) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii\n"));
  EXPECT_TRUE(is_valid_utf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff\xfe"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong, 3 bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(is_valid_utf8("\x80"));
}

TEST(CliJsonBytes, Base64TestVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\xfe" "ok", 4)), "//5vaw==");
}

}  // namespace
}  // namespace kavach::cli
