#include "backend_fixture.hpp"

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace kavach::testing {

SandboxPolicy quick_policy(Preset p, std::chrono::milliseconds timeout) {
  SandboxPolicy pol = preset_policy(p);
  pol.limits.wall_timeout = timeout;
  return pol;
}

std::string unique_token() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + std::to_string(rd() % 100000) + std::to_string(counter++);
}

std::vector<int> processes_with(const std::string& marker) {
  std::vector<int> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in("/proc/" + name + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(marker) != std::string::npos && std::stoi(name) != ::getpid()) out.push_back(std::stoi(name));
  }
  ::closedir(d);
  return out;
}

std::vector<int> processes_appearing_with(const std::string& marker, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto found = processes_with(marker);
    if (!found.empty() || std::chrono::steady_clock::now() >= until) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void kill_processes_with(const std::string& marker) {
  for (int pid : processes_with(marker)) ::kill(pid, SIGKILL);
}

HostScratch::HostScratch() {
  path_ = std::filesystem::temp_directory_path() / ("kavach-test-" + unique_token());
  std::filesystem::create_directories(path_);
}

HostScratch::~HostScratch() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

HostInfo live_host() { return probe_host_cached(); }

void ProcessBackendTest::SetUp() {
  const HostInfo& host = probe_host_cached();
  if (!host.user_namespaces && !host.is_root) GTEST_SKIP() << "no user namespaces and not root";
  backend_ = process::make_process_backend(host);
}

ExecResult ProcessBackendTest::run(const SandboxPolicy& policy, const Command& cmd) {
  return run_on(*backend_, policy, cmd);
}

ExecResult ProcessBackendTest::run_on(Backend& backend, const SandboxPolicy& policy, const Command& cmd) {
  auto r = backend.exec(policy, cmd);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().describe());
  return r ? std::move(*r) : ExecResult{};
}

}  // namespace kavach::testing
