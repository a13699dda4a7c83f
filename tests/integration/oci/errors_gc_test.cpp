// Precise errors for a missing runtime binary, and `kavach gc` after a crashed run.
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "backends/oci/bundle.hpp"
#include "backends/oci/oci_backend.hpp"
#include "kavach/gc.hpp"
#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

class OciErrorsAndGc : public ContainerTest {};

TEST_F(OciErrorsAndGc, MissingRuntimeNamesTheDebianPackage) {
  HostInfo without = host_;
  without.runtimes.erase("crun");
  without.runtimes.erase("runc");
  without.runtimes.erase("runsc");
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto b = create_backend(kind, without);
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE((*b)->availability().available);
    auto r = (*b)->exec(quick_policy(), command({"/bin/true"}));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::runtime_missing) << r.error().describe();
    const std::string pkg = kind == BackendKind::gvisor ? "runsc" : "runc";
    EXPECT_NE(r.error().message.find("apt-get install " + pkg), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().context.at("package"), pkg);
  }
  // An explicitly requested runtime that is missing names itself.
  HostInfo no_runc = host_;
  no_runc.runtimes.erase("runc");
  auto b = oci::make_oci_backend(no_runc, "runc");
  auto r = b->exec(quick_policy(), command({"/bin/true"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::runtime_missing);
  EXPECT_NE(r.error().message.find("'runc'"), std::string::npos) << r.error().message;
}

TEST_F(OciErrorsAndGc, UnknownCommandIsAnExecFailureNotASetupError) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  auto r = oci.exec(quick_policy(), command({"no-such-program-kavach"}));
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  ASSERT_TRUE(r->setup_failure.has_value()) << describe(*r);
  EXPECT_EQ(r->setup_failure->stage, "exec");
  EXPECT_EQ(r->exit_code, 127);
}

TEST_F(OciErrorsAndGc, ConcurrentRunsAreIndependent) {
  KAVACH_BACKEND_OR_SKIP(oci, BackendKind::oci);
  std::vector<std::thread> threads;
  std::vector<std::string> outs(3);
  std::vector<std::string> errors(3);
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto r = oci.exec(quick_policy(Preset::strict), command({"/bin/echo", "run", std::to_string(i)}));
      if (r) outs[static_cast<std::size_t>(i)] = r->stdout_data;
      else errors[static_cast<std::size_t>(i)] = r.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(outs[static_cast<std::size_t>(i)], "run " + std::to_string(i) + "\n") << errors[static_cast<std::size_t>(i)];
  }
}

// A kavach process killed mid-run leaves its container, bundle and cgroups; gc removes them and
// leaves live runs alone.
bool owned_by(const std::string& bundle, pid_t pid) {
  std::ifstream in(std::filesystem::path(bundle) / oci::kOwnerFile);
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("pid") && j["pid"] == pid;
}

// SIGKILLs the watchdog shell kavach armed for container `id` (argv names it and the id).
void kill_watchdogs_of(const std::string& id) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    const std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find("kavach-oci-watchdog") != std::string::npos && cmdline.find(id) != std::string::npos) {
      ::kill(std::stoi(name), SIGKILL);
    }
  }
}

TEST_F(OciErrorsAndGc, GcRemovesWhatACrashedRunLeft) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    std::set<std::string> before;
    for (const auto& b : leftover_bundles()) before.insert(b);
    const std::string backend(to_string(kind));
    const char* argv[] = {KAVACH_CLI, "run", "-q", "--backend", backend.c_str(), "--", "sleep", "60", nullptr};
    pid_t pid = -1;
    ASSERT_EQ(::posix_spawn(&pid, KAVACH_CLI, nullptr, nullptr, const_cast<char* const*>(argv), environ), 0);
    std::string bundle;
    std::string id;
    const std::string runtime = kind == BackendKind::gvisor ? "runsc" : "runc";
    for (int i = 0; i < 100 && id.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      for (const auto& b : leftover_bundles()) {
        // Other suites may run containers now: ours is the bundle whose owner record names it.
        if (before.count(b) != 0 || !owned_by(b, pid)) continue;
        const std::string candidate = std::filesystem::path(b).filename().string();
        for (const auto& listed : listed_containers(runtime)) {
          if (listed == candidate) {
            bundle = b;
            id = candidate;
          }
        }
      }
    }
    // The worst crash: kavach and its watchdog both killed (left alone, the watchdog deletes the
    // container itself and races gc). What is left is gc's to remove.
    if (!id.empty()) kill_watchdogs_of(id);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_FALSE(id.empty()) << backend << ": the run never showed up in " << runtime << " list";

    auto rep = collect_garbage(false);
    ASSERT_TRUE(rep.has_value()) << rep.error().describe();
    bool removed_container = false;
    for (const auto& e : rep->entries) {
      if (e.kind == "container" && e.name == id) removed_container = e.action == "removed";
    }
    std::string seen;
    for (const auto& e : rep->entries) seen += "\n  " + e.kind + " " + e.name + ": " + e.action + " (" + e.detail + ")";
    EXPECT_TRUE(removed_container) << backend << "; gc saw:" << seen;
    for (const auto& listed : listed_containers(runtime)) EXPECT_NE(listed, id);
    EXPECT_FALSE(std::filesystem::exists(bundle)) << bundle;
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

// A container cgroup made a moment ago and still empty is a run being set up (its runtime has
// not moved the sandbox in yet), not garbage: gc keeps it. Before, gc's snapshot of live runs was
// taken at its start, and a run that started while gc worked lost its cgroup under its runtime
// ("open .../kavach/<id>/cgroup.procs: no such file or directory").
TEST_F(OciErrorsAndGc, GcKeepsTheCgroupOfARunThatIsStartingNow) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  if (host_.cgroups.v2_mount.empty()) GTEST_SKIP() << "no cgroup v2 tree on this host";
  const auto own = host_.cgroups.own_paths.find("v2");
  const std::filesystem::path parent =
      (std::filesystem::path(host_.cgroups.v2_mount) /
       std::filesystem::path(own == host_.cgroups.own_paths.end() ? "/" : own->second).relative_path() / "kavach")
          .lexically_normal();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  ASSERT_FALSE(ec) << parent << ": " << ec.message();
  const std::filesystem::path starting = parent / ("kavach-gcstart" + std::to_string(::getpid()));
  ASSERT_EQ(::mkdir(starting.c_str(), 0755), 0) << starting << ": " << std::strerror(errno);
  auto rep = collect_garbage(false);
  const bool still_there = std::filesystem::exists(starting);
  (void)::rmdir(starting.c_str());
  ASSERT_TRUE(rep.has_value()) << rep.error().describe();
  EXPECT_TRUE(still_there) << "gc removed the cgroup of a run being set up: " << starting;
  for (const auto& e : rep->entries) EXPECT_NE(e.name, starting.string()) << e.action;
}

}  // namespace
}  // namespace kavach::oci_test
