// A certificate authority that lives for one run, in memory only: it signs a certificate for
// each host whose requests carry a credential placeholder, so the egress proxy can read those
// requests (and only those) inside TLS. Name constraints limit it to those hosts: a leaked CA
// certificate cannot vouch for any other name. The key never leaves this process.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::network {

class InterceptionCa {
 public:
  // `hosts`: the only DNS names it may sign (its name constraints). P-256 keys, 24 h validity.
  [[nodiscard]] static Result<std::shared_ptr<InterceptionCa>> generate(const std::vector<std::string>& hosts);
  ~InterceptionCa();
  InterceptionCa(const InterceptionCa&) = delete;
  InterceptionCa& operator=(const InterceptionCa&) = delete;

  [[nodiscard]] const std::string& cert_pem() const { return cert_pem_; }
  // A TLS server context presenting a certificate for `host` (made once per host).
  [[nodiscard]] Result<SSL_CTX*> server_context(const std::string& host);

 private:
  InterceptionCa() = default;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string cert_pem_;
  std::mutex mu_;
  std::map<std::string, SSL_CTX*> contexts_;
};

}  // namespace kavach::network
