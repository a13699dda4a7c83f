// Limits of a sandbox's private tmpfs (/tmp, /dev/shm), the same for every backend.
#pragma once

#include <algorithm>
#include <cstdint>

namespace kavach::common {

// One inode per 4 KiB page of the size (at least 1024): a file with content needs a page anyway,
// so only floods of empty files (inode exhaustion, probe R06) meet this limit first.
constexpr std::uint64_t tmpfs_inode_limit(std::uint64_t size_bytes) {
  return std::max<std::uint64_t>(size_bytes / 4096, 1024);
}

}  // namespace kavach::common
