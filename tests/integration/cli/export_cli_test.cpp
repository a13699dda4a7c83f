// `kavach run --export`: files the command wrote leave through the gate, and nothing the command
// plants (a link to a host file, a hard link, a FIFO) makes kavach read anything else.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_sandbox_test.hpp"
#include "exit_codes.hpp"
#include "run_kavach.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;

class ExportCli : public CliSandboxTest {
 protected:
  void SetUp() override {
    CliSandboxTest::SetUp();
    if (IsSkipped()) return;
    char tmpl[] = "/tmp/kavach-export-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    out_ = tmpl;
    // A host file the sandbox cannot see (its dir is not mounted): what a planted link would name.
    canary_ = out_ / "host-canary";
    std::ofstream(canary_) << "HOST-CANARY-7f3a\n";
  }
  void TearDown() override {
    std::error_code ec;
    if (!out_.empty()) fs::remove_all(out_, ec);
    CliSandboxTest::TearDown();
  }
  KavachRun run(const std::string& script, const std::vector<std::string>& exports) {
    std::vector<std::string> args = {"run", "--json", "--rw", dir_.string()};
    for (const auto& e : exports) {
      args.push_back("--export");
      args.push_back(e);
    }
    for (const auto& a : {std::string("--"), std::string("/bin/sh"), std::string("-c"), script}) args.push_back(a);
    return run_kavach(args);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path out_;
  fs::path canary_;
};

TEST_F(ExportCli, AFileTheCommandWroteComesOutThroughTheGate) {
  const KavachRun r = run("mkdir -p sub && echo report-body > sub/report.txt", {"sub/report.txt:" + (out_ / "r.txt").string()});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(slurp(out_ / "r.txt"), "report-body\n");
  const auto j = parse_json(r.out);
  ASSERT_EQ(j.at("exports").size(), 1u) << r.out;
  EXPECT_EQ(j["exports"][0]["release"], "released");
  EXPECT_EQ(j["exports"][0]["verdict"], "pass");
  EXPECT_EQ(j["exports"][0]["bytes"], 12);
}

TEST_F(ExportCli, ASecretInTheFileBlocksIt) {
  const KavachRun r = run("echo STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc > creds.env", {"creds.env:" + (out_ / "c.env").string()});
  EXPECT_EQ(r.status, cli_exit_code(ErrorCode::output_blocked)) << r.err << r.out;
  EXPECT_FALSE(fs::exists(out_ / "c.env"));
  EXPECT_EQ(parse_json(r.out)["exports"][0]["release"], "withheld");
}

TEST_F(ExportCli, AQuarantinedFileGoesToTheStoreRedacted) {
  std::vector<std::string> args = {"run", "--json", "--rw", dir_.string(), "--quarantine-dir", (out_ / "q").string(),
                                   "--export", "app.yml:" + (out_ / "app.yml").string(), "--", "/bin/sh", "-c",
                                   "printf 'password: \"Tr0ub4dor&3xQ!\"\\n' > app.yml"};
  const KavachRun r = run_kavach(args);
  EXPECT_EQ(r.status, cli_exit_code(ErrorCode::output_quarantined)) << r.err << r.out;
  EXPECT_FALSE(fs::exists(out_ / "app.yml"));
  const auto j = parse_json(r.out);
  ASSERT_EQ(j["exports"][0]["release"], "quarantined") << r.out;
  const fs::path kept = j["exports"][0]["written_to"].get<std::string>();
  EXPECT_EQ(kept.parent_path().parent_path(), out_ / "q");
  EXPECT_EQ(fs::status(kept).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(slurp(kept).find("Tr0ub4dor"), std::string::npos) << slurp(kept);
}

// The class of planted names: a link to a host file (last component or on the way), a hard
// link, a FIFO (would block a naive reader), a device. Each is refused; the canary never leaks.
TEST_F(ExportCli, PlantedLinksFifosAndHardLinksAreRefused) {
  struct Case {
    const char* name;
    std::string script;
    std::string path;
  };
  const std::string canary = canary_.string();
  for (const Case& c : {Case{"symlink", "ln -s " + canary + " leak.txt", "leak.txt"},
                        Case{"dir symlink", "ln -s " + out_.string() + " d", "d/host-canary"},
                        Case{"hard link", "echo x > a && ln a b", "b"},
                        Case{"fifo", "mkfifo pipe", "pipe"},
                        Case{"absolute outside", "true", canary},
                        Case{"dot-dot", "true", "../" + out_.filename().string() + "/host-canary"}}) {
    const fs::path dest = out_ / (std::string("dest-") + c.name);
    const KavachRun r = run(c.script, {c.path + ":" + dest.string()});
    EXPECT_NE(r.status, 0) << c.name << "\n" << r.err << r.out;
    EXPECT_FALSE(fs::exists(dest)) << c.name;
    EXPECT_EQ(r.out.find("HOST-CANARY"), std::string::npos) << c.name;
    const auto j = parse_json(r.out);
    ASSERT_TRUE(j.contains("exports")) << c.name << r.out;
    EXPECT_TRUE(j["exports"][0].contains("error")) << c.name << ": " << j["exports"][0].dump();
  }
}

TEST_F(ExportCli, BadSpecsFailBeforeAnythingRuns) {
  const KavachRun r = run("touch ran", {":" + (out_ / "x").string()});
  EXPECT_EQ(r.status, cli_exit_code(ErrorCode::invalid_argument)) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "ran")) << "the command ran despite a malformed --export";
}

TEST_F(ExportCli, AFileOverTheOutputLimitIsRefused) {
  std::vector<std::string> args = {"run", "--json", "--output-limit", "1K", "--rw", dir_.string(), "--export",
                                   "big:" + (out_ / "big").string(), "--", "/bin/sh", "-c",
                                   "head -c 4096 /dev/zero > big"};
  const KavachRun r = run_kavach(args);
  EXPECT_EQ(r.status, cli_exit_code(ErrorCode::output_too_large)) << r.err << r.out;
  EXPECT_FALSE(fs::exists(out_ / "big"));
}

}  // namespace
}  // namespace kavach::cli
