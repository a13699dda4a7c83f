// Every numeric policy field against the one range table: its bounds are accepted, one step past
// either bound is a policy_value error naming the field and the range, from a SandboxPolicy value
// (validate_policy) and from a policy file alike; docs/policy.md lists the same table.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "kavach/policy.hpp"
#include "kavach/policy_ranges.hpp"

namespace kavach {
namespace {

// Sets the field of `r` to `raw` (in 1/scale units); false when the field's type cannot hold it
// (a port above 65535: the type is the bound there).
using Setter = bool (*)(SandboxPolicy&, std::uint64_t);

struct Field {
  const NumericRange* range;
  Setter set;
};

const std::vector<Field>& fields() {
  static const std::vector<Field> all = {
      {&ranges::memory, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.memory_bytes = v;
         return true;
       }},
      {&ranges::swap, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.swap_bytes = v;
         return true;
       }},
      {&ranges::cpu,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.cpu_cores = static_cast<double>(v) / 100.0;
         return true;
       }},
      {&ranges::pids, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.pids = v;
         return true;
       }},
      {&ranges::open_files, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.open_files = v;
         return true;
       }},
      {&ranges::file_size, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.file_size_bytes = v;
         return true;
       }},
      {&ranges::address_space,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.address_space_bytes = v;
         return true;
       }},
      {&ranges::cpu_time, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.cpu_time_seconds = v;
         return true;
       }},
      {&ranges::nproc, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.nproc = v;
         return true;
       }},
      {&ranges::wall_timeout,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.wall_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(v));
         return true;
       }},
      {&ranges::output, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.output_bytes = v;
         return true;
       }},
      {&ranges::tmpfs, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.tmpfs_bytes = v;
         return true;
       }},
      {&ranges::disk, [](SandboxPolicy& p, std::uint64_t v) {
         p.limits.disk_bytes = v;
         return true;
       }},
      {&ranges::min_abi,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.landlock.min_abi = static_cast<int>(v);
         return true;
       }},
      {&ranges::tcp_bind,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.landlock.tcp_bind = {443, static_cast<std::uint16_t>(v)};
         return v <= 65535;
       }},
      {&ranges::tcp_connect,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.landlock.tcp_connect = {443, static_cast<std::uint16_t>(v)};
         return v <= 65535;
       }},
      {&ranges::allow_port,
       [](SandboxPolicy& p, std::uint64_t v) {
         p.network.mode = NetworkMode::allowlist;
         p.network.allow = {{"example.org", 443}, {"example.org", static_cast<std::uint16_t>(v)}};
         return v <= 65535;
       }},
      {&ranges::uid, [](SandboxPolicy& p, std::uint64_t v) {
         p.uid = static_cast<std::uint32_t>(v);
         return true;
       }},
      {&ranges::gid, [](SandboxPolicy& p, std::uint64_t v) {
         p.gid = static_cast<std::uint32_t>(v);
         return true;
       }},
  };
  return all;
}

bool is_list(const NumericRange& r) {
  return &r == &ranges::tcp_bind || &r == &ranges::tcp_connect || &r == &ranges::allow_port;
}

// The key an error names: list fields name the entry (the second one, after a valid 443).
std::string error_key(const NumericRange& r) {
  return std::string(r.key) + (is_list(r) ? "[1]" : "");
}

// A policy file that sets the field of `r` to `value` (TOML text).
std::string toml_for(const NumericRange& r, const std::string& value) {
  const std::string key(r.key);
  const auto dot = key.find('.');
  if (dot == std::string::npos) return key + " = " + value + "\n";
  const std::string section = key.substr(0, dot);
  const std::string name = key.substr(dot + 1);
  if (&r == &ranges::allow_port) {
    return "[network]\nmode = \"allowlist\"\nallow = [\"example.org:443\", \"example.org:" + value + "\"]\n";
  }
  if (is_list(r)) return "[" + section + "]\n" + name + " = [443, " + value + "]\n";
  return "[" + section + "]\n" + name + " = " + value + "\n";
}

TEST(PolicyRanges, EveryTableEntryIsCoveredHere) {
  for (const NumericRange* r : kNumericRanges) {
    bool found = false;
    for (const Field& f : fields()) found = found || f.range == r;
    EXPECT_TRUE(found) << r->key << " has no setter in this test";
  }
  EXPECT_EQ(fields().size(), kNumericRanges.size());
}

TEST(PolicyRanges, BoundsAreAcceptedInPolicyValues) {
  for (const Field& f : fields()) {
    for (std::uint64_t v : {f.range->min, f.range->max}) {
      SandboxPolicy p = preset_policy(Preset::strict);
      ASSERT_TRUE(f.set(p, v));
      auto ok = validate_policy(p);
      EXPECT_TRUE(ok.has_value()) << f.range->key << " = " << format_bound(*f.range, v) << ": "
                                  << ok.error().message;
    }
  }
}

TEST(PolicyRanges, OneStepPastABoundIsRejectedInPolicyValues) {
  for (const Field& f : fields()) {
    std::vector<std::uint64_t> outside = {f.range->max + 1};
    if (f.range->min > 0) outside.push_back(f.range->min - 1);
    for (std::uint64_t v : outside) {
      SandboxPolicy p = preset_policy(Preset::strict);
      if (!f.set(p, v)) continue;  // the field's type cannot hold it
      auto r = validate_policy(p);
      ASSERT_FALSE(r.has_value()) << f.range->key << " = " << v;
      const Error& e = r.error();
      EXPECT_EQ(e.code, ErrorCode::policy_value) << e.message;
      EXPECT_EQ(e.context.at("key"), error_key(*f.range));
      EXPECT_EQ(e.context.at("min"), format_bound(*f.range, f.range->min));
      EXPECT_EQ(e.context.at("max"), format_bound(*f.range, f.range->max));
      EXPECT_EQ(e.message, error_key(*f.range) + ": " + e.context.at("value") + " is out of range " +
                               describe_range(*f.range));
    }
  }
}

TEST(PolicyRanges, BoundsAreAcceptedInPolicyFiles) {
  for (const Field& f : fields()) {
    for (std::uint64_t v : {f.range->min, f.range->max}) {
      const std::string text = toml_for(*f.range, format_bound(*f.range, v));
      auto p = parse_policy_toml(text, "p.toml");
      ASSERT_TRUE(p.has_value()) << text << p.error().message;
      SandboxPolicy expected = *p;
      f.set(expected, v);
      EXPECT_EQ(*p, expected) << text;
    }
  }
}

TEST(PolicyRanges, OneStepPastABoundIsRejectedInPolicyFilesWithTheLine) {
  for (const Field& f : fields()) {
    // Below the minimum: negative for fields that start at 0 (never wrapped into a huge value).
    const std::string below = f.range->min > 0 ? format_bound(*f.range, f.range->min - 1) : "-1";
    for (const std::string& value : {below, format_bound(*f.range, f.range->max + 1)}) {
      const std::string text = "name = \"x\"\n" + toml_for(*f.range, value);
      auto r = parse_policy_toml(text, "p.toml");
      ASSERT_FALSE(r.has_value()) << text;
      const Error& e = r.error();
      EXPECT_EQ(e.code, ErrorCode::policy_value) << e.message;
      EXPECT_EQ(e.context.at("key"), error_key(*f.range)) << e.message;
      EXPECT_FALSE(e.context.at("line").empty());
      const std::string line = e.context.at("line");
      EXPECT_EQ(e.message, "p.toml:" + line + ": " + error_key(*f.range) + ": " + value + " is out of range " +
                               describe_range(*f.range));
    }
  }
}

TEST(PolicyRanges, CpuMustBeAFiniteNumber) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {std::nan(""), inf, -inf}) {
    SandboxPolicy p = preset_policy(Preset::strict);
    p.limits.cpu_cores = v;
    auto r = validate_policy(p);
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().code, ErrorCode::policy_value);
    EXPECT_EQ(r.error().context.at("key"), "limits.cpu");
    EXPECT_NE(r.error().message.find("is not a number in [0.01, 1024] cores"), std::string::npos)
        << r.error().message;
  }
  for (const char* v : {"nan", "+nan", "-nan", "inf", "+inf", "-inf"}) {
    auto r = parse_policy_toml(std::string("[limits]\ncpu = ") + v + "\n", "p.toml");
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_EQ(r.error().code, ErrorCode::policy_value) << v;
    EXPECT_EQ(r.error().context.at("line"), "2");
    EXPECT_NE(r.error().message.find("p.toml:2: limits.cpu: "), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(" is not a number in [0.01, 1024] cores"), std::string::npos)
        << r.error().message;
  }
  // Between the bounds, fractions are fine; just below the minimum is not.
  EXPECT_TRUE(parse_policy_toml("[limits]\ncpu = 0.015\n", "p.toml").has_value());
  EXPECT_FALSE(parse_policy_toml("[limits]\ncpu = 0.009\n", "p.toml").has_value());
}

TEST(PolicyRanges, SizeStringsAreRangeCheckedAfterTheirUnit) {
  // 1048576 GiB = 1 PiB, the maximum; one GiB more is out of range, not wrapped.
  auto max = parse_policy_toml("[limits]\nmemory = \"1048576G\"\n", "p.toml");
  ASSERT_TRUE(max.has_value()) << max.error().message;
  EXPECT_EQ(max->limits.memory_bytes, ranges::kPiB);
  for (const char* size : {"1048577G", "17179869184G", "99999999999999999999999G", "18446744073709551615"}) {
    auto r = parse_policy_toml(std::string("[limits]\nmemory = \"") + size + "\"\n", "p.toml");
    ASSERT_FALSE(r.has_value()) << size;
    EXPECT_EQ(r.error().code, ErrorCode::policy_value);
    EXPECT_EQ(r.error().context.at("key"), "limits.memory");
    EXPECT_NE(r.error().message.find("is out of range [4194304, 1125899906842624] bytes"), std::string::npos)
        << r.error().message;
  }
  auto negative = parse_policy_toml("[limits]\nmemory = \"-5M\"\n", "p.toml");
  ASSERT_FALSE(negative.has_value());
  EXPECT_EQ(negative.error().code, ErrorCode::policy_value);
  EXPECT_EQ(negative.error().context.at("key"), "limits.memory");
}

TEST(PolicyRanges, IssueReproducerTimeoutThatOverflowedNanoseconds) {
  auto r = parse_policy_toml("[limits]\nwall_timeout_ms = 9223372036854775\n", "p.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "p.toml:2: limits.wall_timeout_ms: 9223372036854775 is out of range [1, 604800000] ms");
}

TEST(PolicyRanges, ExtremePoliciesRoundTrip) {
  for (bool maximum : {false, true}) {
    SandboxPolicy p = preset_policy(Preset::strict);
    for (const Field& f : fields()) f.set(p, maximum ? f.range->max : f.range->min);
    auto again = parse_policy_toml(policy_to_toml(p), "emitted.toml");
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(*again, p);
  }
}

TEST(PolicyRanges, BoundsPrintAsDecimals) {
  EXPECT_EQ(format_bound(ranges::cpu, 1), "0.01");
  EXPECT_EQ(format_bound(ranges::cpu, 150), "1.5");
  EXPECT_EQ(format_bound(ranges::cpu, 102400), "1024");
  EXPECT_EQ(describe_range(ranges::memory), "[4194304, 1125899906842624] bytes");
}

// docs/policy.md's range table has one row per entry: `| key | min | max | unit |`.
TEST(PolicyRanges, DocumentedTableMatchesTheCode) {
  std::ifstream in(std::string(KAVACH_SOURCE_DIR) + "/docs/policy.md");
  ASSERT_TRUE(in) << "docs/policy.md not found";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  for (const NumericRange* r : kNumericRanges) {
    const std::string row = "| `" + std::string(r->key) + "` | " + format_bound(*r, r->min) + " | " +
                            format_bound(*r, r->max) + " | " + std::string(r->unit) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/policy.md lacks the row\n" << row;
  }
}

}  // namespace
}  // namespace kavach
