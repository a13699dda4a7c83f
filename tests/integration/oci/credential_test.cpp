// Secrets injected as environment variables into an OCI (runc) container: config.json carries
// them, so the bundle must live on a memory filesystem, private (dir 0700, file 0600), and the
// value must be on no disk file — searched while the container runs and after it. Also through
// the built CLI: the value never appears in `kavach run --json` output, with or without the gate.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "backends/oci/state_dirs.hpp"
#include "../host_secret_search.hpp"
#include "kavach/credential.hpp"
#include "kavach/sandbox.hpp"
#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

namespace fs = std::filesystem;

class OciCredentials : public ContainerTest {};

TEST_F(OciCredentials, EnvSecretBundleIsPrivateAndInMemoryDuringAndAfterTheRun) {
  if (host_.runtimes.count("runc") == 0) GTEST_SKIP() << "runc is not installed";
  auto made = make(BackendKind::oci, host_);
  if (!made.backend) GTEST_SKIP() << made.skip;
  const std::string value = test::unique_secret_value("oci-env");
  const auto since = fs::file_time_type::clock::now() - std::chrono::seconds(1);
  auto proxy = std::make_shared<CredentialProxy>();
  ASSERT_TRUE(proxy->add_value("TOKEN", value));
  SandboxConfig config;
  config.backend = BackendKind::oci;
  SandboxPolicy policy = quick_policy(Preset::agent);
  policy.oci.runtime = "runc";
  config.policy = ValidPolicy::check(std::move(policy)).value();
  config.credentials = proxy;
  config.secret_refs = {{"TOKEN", InjectionMethod::env, "API_TOKEN"}};
  auto sandbox = Sandbox::create(std::move(config), std::move(made.backend));
  ASSERT_TRUE(sandbox) << sandbox.error().describe();
  std::set<std::string> before;
  for (const auto& b : leftover_bundles()) before.insert(b);

  auto running = std::async(std::launch::async, [&] {
    return (*sandbox)->exec(command({"/bin/sh", "-c", "printf %s \"$API_TOKEN\" | wc -c; sleep 2"}));
  });
  // While the container runs: find its bundle and look at it.
  std::string bundle;
  for (int i = 0; i < 100 && bundle.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& b : leftover_bundles()) {
      std::error_code ec;
      if (before.count(b) == 0 && fs::exists(fs::path(b) / "config.json", ec)) bundle = b;
    }
  }
  ASSERT_FALSE(bundle.empty()) << "no bundle with a config.json appeared";
  struct stat dir_st {};
  struct stat cfg_st {};
  ASSERT_EQ(::stat(bundle.c_str(), &dir_st), 0);
  ASSERT_EQ(::stat((fs::path(bundle) / "config.json").c_str(), &cfg_st), 0);
  EXPECT_EQ(dir_st.st_mode & 07777, 0700u) << bundle;
  EXPECT_EQ(cfg_st.st_mode & 07777, 0600u) << bundle << "/config.json";
  EXPECT_TRUE(oci::on_memory_filesystem(bundle)) << bundle << " is on a disk filesystem";
  {
    std::ifstream in(fs::path(bundle) / "config.json");
    const std::string cfg{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_NE(cfg.find(value), std::string::npos) << "the test looks at the wrong bundle";
  }
  EXPECT_EQ(test::host_files_containing(value, {since, {}, true}), std::vector<fs::path>{}) << "secret on disk during the run";

  auto rep = running.get();
  ASSERT_TRUE(rep) << rep.error().describe();
  EXPECT_EQ(rep->result.exit_code, 0) << describe(rep->result);
  EXPECT_EQ(rep->result.stdout_data, std::to_string(value.size()) + "\n") << "the value did not arrive";
  EXPECT_EQ(test::host_files_containing(value, {since, {}, true}), std::vector<fs::path>{}) << "secret on disk after the run";
  std::error_code ec;
  EXPECT_FALSE(fs::exists(bundle, ec)) << "bundle left behind";
}

// `kavach run ... --json` through the built binary; returns stdout+stderr.
std::string run_cli(const std::string& args, int& status) {
  const std::string cmd = std::string(KAVACH_CLI) + " run " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "<popen failed>";
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

TEST_F(OciCredentials, ValueNeverInCliJsonOutputWithOrWithoutTheGate) {
  const std::string value = test::unique_secret_value("oci-cli");
  const auto since = fs::file_time_type::clock::now() - std::chrono::seconds(1);
  ::setenv("KAVACH_TEST_HOSTTOK", value.c_str(), 1);
  // printenv's own flags after `--` stay its arguments (printenv rejects unknown ones, which is
  // fine: the value is printed by the first command).
  const std::string prints = "--secret T=env:KAVACH_TEST_HOSTTOK --inject T=env:TOK -- /bin/sh -c "
                             "'echo \"$TOK\"; printf %s \"$TOK\" | base64; echo \"$TOK\" >&2'";
  std::vector<std::string> backends = {"process"};
  if (host_.runtimes.count("runc") != 0 && ::geteuid() == 0) backends.emplace_back("oci --runtime runc");
  for (const auto& backend : backends) {
    for (const char* gate : {"", "--no-gate "}) {
      int status = 0;
      const std::string out = run_cli("--json --backend " + backend + " " + gate + prints, status);
      SCOPED_TRACE(backend + " " + gate + ": " + out);
      EXPECT_EQ(out.find(value), std::string::npos) << "secret value in the CLI output";
      const auto j = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1), nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "not JSON";
      if (j.contains("error")) {
        // The backend could not run here; the value must still not be in the error.
        ADD_FAILURE() << "run failed: " << j.dump();
        continue;
      }
      if (*gate == '\0') {
        EXPECT_EQ(j["gate"]["verdict"], "block");
      } else {
        EXPECT_EQ(j["gate"]["verdict"], "disabled");
        EXPECT_NE(j.value("stdout", std::string()).find("REDACTED"), std::string::npos) << "not redacted";
      }
    }
  }
  ::unsetenv("KAVACH_TEST_HOSTTOK");
  EXPECT_EQ(test::host_files_containing(value, {since, {}, true}), std::vector<fs::path>{}) << "secret on disk";
}

}  // namespace
}  // namespace kavach::oci_test
