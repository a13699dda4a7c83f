// The accepted range of every numeric policy field, written once. validate_policy (policy files,
// the builder, SandboxPolicy values), the policy file reader and the CLI's flags all check against
// this table, so a number that would wrap, overflow or mean something else to the kernel is
// rejected with its field and range before anything uses it. docs/policy.md lists the same table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "kavach/error.hpp"

namespace kavach {

struct NumericRange {
  std::string_view key;     // as a policy file writes it: "limits.memory"
  std::uint64_t min = 0;    // inclusive bounds, in 1/scale of `unit`
  std::uint64_t max = 0;
  std::string_view unit;    // "bytes", "ms", "cores", ...
  std::uint64_t scale = 1;  // 100 for cpu: its bounds count hundredths of a core
};

namespace ranges {

inline constexpr std::uint64_t kMiB = 1ull << 20;
inline constexpr std::uint64_t kGiB = 1ull << 30;
inline constexpr std::uint64_t kPiB = 1ull << 50;
inline constexpr std::uint64_t kPidMaxLimit = 4'194'304;  // the kernel's PID_MAX_LIMIT (64-bit)
inline constexpr std::uint64_t kWeekMs = 7ull * 24 * 3600 * 1000;

// Sizes stop at 1 PiB: memory + swap (OCI, cgroup v1 memsw) cannot overflow, and no size nears
// int64 (OCI JSON) or RLIM_INFINITY (which the kernel reads as "no limit").
inline constexpr NumericRange memory{"limits.memory", 4 * kMiB, kPiB, "bytes"};
inline constexpr NumericRange swap{"limits.swap", 0, kPiB, "bytes"};
// 0.01: the kernel's smallest CFS quota, 1 ms of kavach's 100 ms period. 1024 cores is a quota
// of 1.024e8 us, far below the kernel's 2^44 us maximum.
inline constexpr NumericRange cpu{"limits.cpu", 1, std::uint64_t{1024} * 100, "cores", 100};
inline constexpr NumericRange pids{"limits.pids", 1, kPidMaxLimit, "processes"};
// fs.nr_open can never exceed 2147483584 (sysctl_nr_open_max): a larger RLIMIT_NOFILE fails
// everywhere.
inline constexpr NumericRange open_files{"limits.open_files", 1, 2'147'483'584, "files"};
inline constexpr NumericRange file_size{"limits.file_size", 0, kPiB, "bytes"};
// No dynamically linked program maps ld.so and libc in less.
inline constexpr NumericRange address_space{"limits.address_space", kMiB, kPiB, "bytes"};
// More than 1024 cores (cpu's maximum) running for the longest wall timeout cannot be used.
inline constexpr NumericRange cpu_time{"limits.cpu_time_seconds", 1, 1024 * (kWeekMs / 1000), "seconds"};
inline constexpr NumericRange nproc{"limits.nproc", 1, kPidMaxLimit, "processes"};
// A week: in milliseconds it fits a 32-bit int (poll timeouts), in steady_clock nanoseconds it
// is 6e14, nowhere near int64.
inline constexpr NumericRange wall_timeout{"limits.wall_timeout_ms", 1, kWeekMs, "ms"};
// Per stream, held in memory (twice: stdout and stderr) until the run returns.
inline constexpr NumericRange output{"limits.output_bytes", 1, kGiB, "bytes"};
// tmpfs reads size=0 as "unlimited"; the sandbox root, a tmpfs of the same size, holds its
// mount points.
inline constexpr NumericRange tmpfs{"limits.tmpfs", kMiB, kPiB, "bytes"};
// A project quota below a megabyte is all metadata; above a PiB no filesystem holds it.
inline constexpr NumericRange disk{"limits.disk_bytes", kMiB, kPiB, "bytes"};
inline constexpr NumericRange min_abi{"landlock.min_abi", 1, 64, "ABI version"};
inline constexpr NumericRange tcp_bind{"landlock.tcp_bind", 1, 65535, "port"};
inline constexpr NumericRange tcp_connect{"landlock.tcp_connect", 1, 65535, "port"};
inline constexpr NumericRange allow_port{"network.allow", 1, 65535, "port"};  // of each host:port
// 65534 is the kernel's overflow id; the OCI backends add the id to a host base (0x70000000),
// which must not wrap.
inline constexpr NumericRange uid{"uid", 0, 65534, "id"};
inline constexpr NumericRange gid{"gid", 0, 65534, "id"};

}  // namespace ranges

inline constexpr std::array<const NumericRange*, 19> kNumericRanges = {
    &ranges::memory,   &ranges::swap,       &ranges::cpu,     &ranges::pids,
    &ranges::open_files, &ranges::file_size, &ranges::address_space, &ranges::cpu_time,
    &ranges::nproc,    &ranges::wall_timeout, &ranges::output, &ranges::tmpfs, &ranges::disk,
    &ranges::min_abi,  &ranges::tcp_bind,   &ranges::tcp_connect, &ranges::allow_port,
    &ranges::uid,      &ranges::gid};

// A bound as a decimal number in the field's unit: "4194304", "0.01".
[[nodiscard]] std::string format_bound(const NumericRange& r, std::uint64_t bound);
// "[4194304, 1125899906842624] bytes"
[[nodiscard]] std::string describe_range(const NumericRange& r);

// policy_value errors like "limits.memory: 18446744073709551611 is out of range [4194304,
// 1125899906842624] bytes", context {key, value, min, max, unit}. `key` names the value when it
// is an entry of the field ("landlock.tcp_bind[2]"); empty = the field's key. Integer checks
// are for fields with scale 1; the real check also rejects NaN and infinities.
[[nodiscard]] Result<void> check_range(const NumericRange& r, std::uint64_t value, std::string_view key = {});
[[nodiscard]] Result<void> check_signed_range(const NumericRange& r, std::int64_t value,
                                              std::string_view key = {});
[[nodiscard]] Result<void> check_real_range(const NumericRange& r, double value, std::string_view key = {});
// That error for a value as the user wrote it ("1048577G"), when it does not fit a number.
[[nodiscard]] Error out_of_range_error(const NumericRange& r, std::string_view key, const std::string& value);

}  // namespace kavach
