// Host-side observations the probe cannot make from inside: processes left behind, mount table
// and temp dir changes, zombies, the launcher's own kernel quotas, and copy-out of outputs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace kavach::probes {

// Planted sleepers (`kavach-probe sleeper <token> <secs> [<marker dir>]`) whose token contains
// `needle`: host processes with that argv, plus — when `marker_dir` is given — every host
// process holding a sleeper's marker file (<marker dir>/.sleeper-<token>) open. The second
// finds sleepers that are no host processes (gVisor: the sentry runs them, its gofer holds
// their files) and stopped ones.
[[nodiscard]] std::vector<pid_t> find_processes(const std::string& needle, const std::string& marker_dir = {});
void kill_processes(const std::string& needle, const std::string& marker_dir = {});
// Waits until find_processes() is empty; returns ms waited or -1 after timeout.
[[nodiscard]] double wait_gone(const std::string& needle, std::chrono::milliseconds timeout,
                               const std::string& marker_dir = {});

// Mount table of this (host) namespace, without the mount ids.
[[nodiscard]] std::set<std::string> mount_snapshot();
// Top-level entries of a directory.
[[nodiscard]] std::set<std::string> dir_snapshot(const std::string& dir);
// Zombie processes named kavach-probe.
[[nodiscard]] int probe_zombies();
// Root-owned setuid/setgid files below dir.
[[nodiscard]] std::vector<std::string> root_setuid_files(const std::string& dir);
// Run cgroups of the given launcher pid left behind (kavach names them kavach/run-<pid>-<n>).
[[nodiscard]] std::vector<std::string> cgroup_leftovers(pid_t launcher);
// Files named core or core.* below dir.
[[nodiscard]] std::vector<std::string> core_files(const std::string& dir);

// While alive, checks every 50 ms that this (launcher) user can still create inotify instances.
class QuotaWatcher {
 public:
  QuotaWatcher();
  ~QuotaWatcher();
  QuotaWatcher(const QuotaWatcher&) = delete;
  QuotaWatcher& operator=(const QuotaWatcher&) = delete;
  [[nodiscard]] int failures() const { return failures_.load(); }
  [[nodiscard]] int checks() const { return checks_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0}, checks_{0};
  std::thread thread_;
};

// Copy-out of a work dir as kavach does it: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS), O_NOFOLLOW | O_NONBLOCK, regular files only. `naive` follows links and
// opens anything blockingly (the negative control). Runs in a child with a timeout.
struct CollectResult {
  bool timed_out = false;
  bool saw_secret = false;  // some collected content contained the secret
  int files = 0;
  std::string detail;
};
[[nodiscard]] CollectResult collect_outputs(const std::string& dir, const std::string& secret, bool naive,
                                            std::chrono::milliseconds timeout);

}  // namespace kavach::probes
