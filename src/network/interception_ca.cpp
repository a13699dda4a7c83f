#include "network/interception_ca.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace kavach::network {
namespace {

std::string openssl_error(const std::string& what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = {};
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return what + (e != 0 ? std::string(": ") + buf : std::string());
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A fresh certificate with a random serial, valid from an hour ago for a day, named `cn`.
X509* new_cert(EVP_PKEY* subject_key, const std::string& cn) {
  X509* c = X509_new();
  if (c == nullptr) return nullptr;
  X509_set_version(c, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 24L * 3600);
  X509_set_pubkey(c, subject_key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return c;
}

bool is_ip(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<std::shared_ptr<InterceptionCa>> InterceptionCa::generate(const std::vector<std::string>& hosts) {
  std::shared_ptr<InterceptionCa> ca(new InterceptionCa());
  ca->key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (ca->key_ == nullptr) return fail(ErrorCode::io_error, openssl_error("generating the egress CA key"));
  ca->cert_ = new_cert(ca->key_, "kavach egress CA (one run)");
  if (ca->cert_ == nullptr) return fail(ErrorCode::io_error, openssl_error("making the egress CA"));
  X509_set_issuer_name(ca->cert_, X509_get_subject_name(ca->cert_));
  std::string permitted = "permitted;";
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    permitted += (i ? "," : "") + (is_ip(hosts[i]) ? "IP:" + hosts[i] + (hosts[i].find(':') != std::string::npos
                                                                           ? "/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                                                                           : "/255.255.255.255")
                                                   : "DNS:" + hosts[i]);
  }
  if (!add_ext(ca->cert_, ca->cert_, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_ext(ca->cert_, ca->cert_, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(ca->cert_, ca->cert_, NID_subject_key_identifier, "hash") ||
      (!hosts.empty() && !add_ext(ca->cert_, ca->cert_, NID_name_constraints, ("critical," + permitted).c_str())) ||
      X509_sign(ca->cert_, ca->key_, EVP_sha256()) == 0) {
    return fail(ErrorCode::io_error, openssl_error("signing the egress CA"));
  }
  BIO* mem = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(mem, ca->cert_);
  char* data = nullptr;
  const long n = BIO_get_mem_data(mem, &data);
  ca->cert_pem_.assign(data, static_cast<std::size_t>(n));
  BIO_free(mem);
  return ca;
}

InterceptionCa::~InterceptionCa() {
  for (auto& [host, ctx] : contexts_) SSL_CTX_free(ctx);
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

Result<SSL_CTX*> InterceptionCa::server_context(const std::string& host) {
  const std::lock_guard<std::mutex> lock(mu_);
  if (auto it = contexts_.find(host); it != contexts_.end()) return it->second;
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* leaf = key != nullptr ? new_cert(key, host) : nullptr;
  bool ok = leaf != nullptr;
  if (ok) {
    X509_set_issuer_name(leaf, X509_get_subject_name(cert_));
    ok = add_ext(leaf, cert_, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(leaf, cert_, NID_key_usage, "critical,digitalSignature") &&
         add_ext(leaf, cert_, NID_ext_key_usage, "serverAuth") &&
         add_ext(leaf, cert_, NID_authority_key_identifier, "keyid:always") &&
         add_ext(leaf, cert_, NID_subject_alt_name, ((is_ip(host) ? "IP:" : "DNS:") + host).c_str()) &&
         X509_sign(leaf, key_, EVP_sha256()) != 0;
  }
  SSL_CTX* ctx = ok ? SSL_CTX_new(TLS_server_method()) : nullptr;
  ok = ctx != nullptr && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
       SSL_CTX_use_certificate(ctx, leaf) == 1 && SSL_CTX_add1_chain_cert(ctx, cert_) == 1 &&
       SSL_CTX_use_PrivateKey(ctx, key) == 1;
  X509_free(leaf);
  EVP_PKEY_free(key);
  if (!ok) {
    SSL_CTX_free(ctx);
    return fail(ErrorCode::io_error, openssl_error("making the certificate for " + host));
  }
  contexts_[host] = ctx;
  return ctx;
}

}  // namespace kavach::network
