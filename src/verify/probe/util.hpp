// Small helpers shared by the probe groups: errno names, files, isolated syscall attempts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace probe {

// "EPERM", "ENOSYS", ... ("OK" for 0).
[[nodiscard]] std::string errname(int e);

// Result of one attempt made in a throw-away child, so that a seccomp kill (SIGSYS) or a crash
// of that single call cannot take the probe down with it.
struct Attempt {
  long ret = -1;
  int err = 0;
  bool killed = false;  // child died from a signal before reporting
  int sig = 0;
  bool timed_out = false;
  [[nodiscard]] bool ok() const { return !killed && !timed_out && ret >= 0; }
  // Denied by a filter or missing (EPERM, EACCES, ENOSYS, or killed by SIGSYS).
  [[nodiscard]] bool denied() const;
  [[nodiscard]] std::string describe() const;  // "EPERM", "ret=3", "killed SIGSYS"
};

// Run fn in a forked child; ret/errno come back over a pipe. fn runs after fork in a
// single-threaded child, so it may use anything.
[[nodiscard]] Attempt attempt(const std::function<long()>& fn, int timeout_ms = 3000);

// Same, but in the current process (for calls that cannot kill us, e.g. with seccomp EPERM).
[[nodiscard]] Attempt attempt_here(const std::function<long()>& fn);

[[nodiscard]] std::optional<std::string> read_file(const std::string& path, std::size_t max = 1 << 20);
[[nodiscard]] bool write_all(int fd, std::string_view data);
[[nodiscard]] std::vector<std::string> split(std::string_view s, char sep);
[[nodiscard]] std::string trim(std::string_view s);
[[nodiscard]] std::string readlink_str(const std::string& path);
[[nodiscard]] bool starts_with(std::string_view s, std::string_view prefix);
[[nodiscard]] std::string printable(std::string_view s, std::size_t max = 80);

// Inode of /proc/self/ns/<name> (0 if unreadable).
[[nodiscard]] std::uint64_t ns_inode(const std::string& name, const std::string& pid = "self");

struct MountEntry {
  std::string root;         // path inside the source filesystem (field 4)
  std::string mount_point;  // field 5
  std::string options;      // per-mount options (field 6)
  std::string fstype;
  std::string source;
  std::string super_options;
  [[nodiscard]] bool has_option(std::string_view opt) const;
};
[[nodiscard]] std::vector<MountEntry> mountinfo();

// Value of a "Key:\tvalue" line in /proc/self/status ("" when absent).
[[nodiscard]] std::string proc_status(std::string_view key);

// Parse a hex/decimal number; nullopt on junk.
[[nodiscard]] std::optional<unsigned long long> parse_u64(std::string_view s, int base = 10);

// Numeric /proc entries (pids visible to us).
[[nodiscard]] std::vector<pid_t> visible_pids();

// Non-blocking TCP/unix connect with a timeout; returns 0 or -errno.
int connect_with_timeout(int fd, const void* addr, unsigned len, int timeout_ms);

// Creates a unique scratch name inside dir: dir/kavach-probe-<pid>-<n>-<tag>.
[[nodiscard]] std::string scratch_name(const std::string& dir, std::string_view tag);

// Milliseconds on CLOCK_MONOTONIC.
[[nodiscard]] double now_ms();

}  // namespace probe

namespace probe {

struct Captured {
  int status = -1;  // waitpid status
  std::string out;  // stdout (bounded)
  bool timed_out = false;
};

// fork + optional pre-exec hook (runs in the child) + execv(path, argv); stdout captured.
[[nodiscard]] Captured run_capture(const std::string& path, const std::vector<std::string>& argv,
                                   const std::function<void()>& pre_exec = {},
                                   int timeout_ms = 3000);

// Parses "k=v k=v" (creds helper output).
[[nodiscard]] std::string kv_get(const std::string& text, const std::string& key);

}  // namespace probe
