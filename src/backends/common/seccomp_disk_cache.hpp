// Compiled seccomp programs kept on disk between processes. Every `kavach run` of a policy
// compiles the same program (2-6 ms of libseccomp for the strict allow-list); the entry keyed by
// the program, the libseccomp version, its API level and the native arch is read back instead.
//
// Trust: entries live in the per-user cache directory (core/user_cache: ours, 0700; no sandbox
// may be given it to write). An entry is used only if user_cache::read_entry accepts it (a
// regular file, no symlink, owned by us, mode 0600: ownership keeps other users out), its header
// holds the exact key asked for (the file name is only a hash of it) and its CRC-32 trailer
// matches (torn or corrupted writes). Anything else is a doubt, and a doubt means compile again
// and replace the entry. No cryptographic hash on this path: OpenSSL's provider set-up alone
// would cost a run ~0.5 ms. KAVACH_NO_CACHE=1 turns the disk cache off.
#pragma once

#include <linux/filter.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kavach::common {

// What the compiled BPF depends on besides the program: libseccomp's version and API level,
// and the native architecture. `program_key` is the program's own canonical text.
[[nodiscard]] std::string seccomp_cache_key(const std::string& program_key);

// The entry's path in the cache directory `dir` for a key.
[[nodiscard]] std::filesystem::path seccomp_cache_entry(const std::filesystem::path& dir,
                                                        const std::string& key);

// The entry's bytes: magic, key length and key, instruction count, instructions, CRC-32.
[[nodiscard]] std::string encode_seccomp_entry(const std::string& key,
                                               const std::vector<sock_filter>& bpf);
// nullopt on any doubt: wrong magic, another key, bad size or count, checksum mismatch.
[[nodiscard]] std::optional<std::vector<sock_filter>> decode_seccomp_entry(
    const std::string& key, const std::string& bytes);

// Read an entry from `dir` (nullopt: absent or in doubt; see above for what is checked).
[[nodiscard]] std::optional<std::vector<sock_filter>> load_cached_bpf(const std::filesystem::path& dir,
                                                                      const std::string& key);
// Best effort (atomic replace, 0600); false when it could not be written.
bool store_cached_bpf(const std::filesystem::path& dir, const std::string& key,
                      const std::vector<sock_filter>& bpf);

}  // namespace kavach::common
