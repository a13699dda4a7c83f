// libseccomp as the one compiler of the core's neutral SeccompProgram into classic BPF: the
// process backend's filters and the protected-path guard's trap program (which the OCI backends
// hand to the guard inside the container) come out of the same code.
#pragma once

#include <linux/filter.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "kavach/error.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::common {

// A small thread-safe memo: a process uses a handful of policies, so a linear scan is enough
// and the memo is simply emptied if it ever grows large.
template <typename Key, typename Value>
class SmallCache {
 public:
  bool find(const Key& key, Value& out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, v] : entries_) {
      if (k == key) {
        out = v;
        return true;
      }
    }
    return false;
  }
  void store(const Key& key, const Value& value) {
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace_back(key, value);
  }

 private:
  static constexpr std::size_t kMaxEntries = 32;
  std::mutex mu_;
  std::vector<std::pair<Key, Value>> entries_;
};

// Compile (checking the program's invariant first; see seccomp_program.cpp). Compiled programs
// are kept, keyed by the program's rules: every run of a policy compiles the same one.
[[nodiscard]] Result<std::vector<sock_filter>> compile_seccomp_bpf(const SeccompProgram& program);

// The instructions' bytes as lowercase hex (how the guard receives its trap program).
[[nodiscard]] std::string bpf_to_hex(const std::vector<sock_filter>& bpf);

}  // namespace kavach::common
