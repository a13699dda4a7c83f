#include "audit/mac.hpp"
#include "core/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

namespace kavach::detail {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) { return hex_encode(p, n); }

std::string_view prefix(MacDomain d) {
  switch (d) {
    case MacDomain::record: return "kavach-audit-record-v1\n";
    case MacDomain::head: return "kavach-audit-head-v1\n";
    case MacDomain::genesis: return "kavach-audit-genesis-v1\n";
    case MacDomain::anchor: return "kavach-audit-anchor-v1\n";
  }
  return "";
}

}  // namespace

std::string mac_hex(std::string_view key, MacDomain domain, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string msg;
  msg.reserve(prefix(domain).size() + data.size());
  msg.append(prefix(domain)).append(data);
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out, &len) == nullptr) {
    return {};  // never equal to a stored MAC, so verification fails closed
  }
  return to_hex(out, len);
}

bool mac_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.empty()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_mac_hex(std::string_view s) {
  if (s.size() != kMacHexLen) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  std::string hex;
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) == 1) hex = to_hex(buf.data(), bytes);
  OPENSSL_cleanse(buf.data(), buf.size());  // the raw bytes may become key material
  return hex;
}

}  // namespace kavach::detail
