// The on-disk cache of compiled seccomp programs (see seccomp_disk_cache.hpp).
#include "backends/common/seccomp_disk_cache.hpp"

#include "core/hex.hpp"
#include "core/user_cache.hpp"

#include <seccomp.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace kavach::common {
namespace {

constexpr std::string_view kMagic = "KVBPF2\n";
constexpr std::size_t kU32 = 4;

// Entries are small (a 4096-instruction program is 32 KiB plus its key): anything larger is not ours.
constexpr std::size_t kMaxEntryBytes = std::size_t{256} * 1024;

void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<const char*>(&v), kU32); }

std::uint32_t get_u32(std::string_view in, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, in.data() + at, kU32);
  return v;
}

std::uint32_t crc_of(std::string_view data) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// FNV-1a: the file name only spreads keys; the key itself is compared in full.
std::uint64_t fnv1a(std::string_view data) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

std::string seccomp_cache_key(const std::string& program_key) {
  const scmp_version* v = seccomp_version();
  std::string key = "kavach-seccomp-bpf 2\nlibseccomp ";
  key += v != nullptr ? std::to_string(v->major) + '.' + std::to_string(v->minor) + '.' +
                            std::to_string(v->micro)
                      : std::string("?");
  key += "\napi " + std::to_string(seccomp_api_get());
  key += "\narch " + std::to_string(seccomp_arch_native());
  key += '\n' + program_key;
  return key;
}

std::filesystem::path seccomp_cache_entry(const std::filesystem::path& dir, const std::string& key) {
  const std::uint64_t h = fnv1a(key);
  return dir / ("seccomp-" + hex_encode(&h, sizeof h) + ".bpf");
}

std::string encode_seccomp_entry(const std::string& key, const std::vector<sock_filter>& bpf) {
  std::string out(kMagic);
  put_u32(out, static_cast<std::uint32_t>(key.size()));
  out += key;
  put_u32(out, static_cast<std::uint32_t>(bpf.size()));
  out.append(reinterpret_cast<const char*>(bpf.data()), bpf.size() * sizeof(sock_filter));
  put_u32(out, crc_of(out));
  return out;
}

std::optional<std::vector<sock_filter>> decode_seccomp_entry(const std::string& key,
                                                             const std::string& bytes) {
  const std::string_view in(bytes);
  const std::size_t key_at = kMagic.size() + kU32;
  const std::size_t count_at = key_at + key.size();
  const std::size_t insns_at = count_at + kU32;
  if (in.size() < insns_at + kU32 || in.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  if (get_u32(in, kMagic.size()) != key.size() || in.substr(key_at, key.size()) != key) {
    return std::nullopt;  // another program, library or arch: stale
  }
  const std::uint32_t n = get_u32(in, count_at);
  if (n == 0 || n > BPF_MAXINSNS || in.size() != insns_at + n * sizeof(sock_filter) + kU32) {
    return std::nullopt;
  }
  const std::size_t crc_at = in.size() - kU32;
  if (get_u32(in, crc_at) != crc_of(in.substr(0, crc_at))) return std::nullopt;  // corrupt
  std::vector<sock_filter> out(n);
  std::memcpy(out.data(), in.data() + insns_at, n * sizeof(sock_filter));
  return out;
}

std::optional<std::vector<sock_filter>> load_cached_bpf(const std::filesystem::path& dir,
                                                        const std::string& key) {
  auto bytes = user_cache::read_entry(seccomp_cache_entry(dir, key), kMaxEntryBytes);
  if (!bytes) return std::nullopt;
  return decode_seccomp_entry(key, *bytes);
}

bool store_cached_bpf(const std::filesystem::path& dir, const std::string& key,
                      const std::vector<sock_filter>& bpf) {
  return user_cache::write_file_atomic(seccomp_cache_entry(dir, key), encode_seccomp_entry(key, bpf));
}

}  // namespace kavach::common
