#include "network/tls_sni.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <memory>

namespace kavach::network {
namespace {

struct HelloState {
  bool seen = false;
  std::optional<std::string> sni;
};

// Called by OpenSSL once it has parsed the ClientHello; we take the name and stop the handshake.
int on_client_hello(SSL* ssl, int* alert, void* /*arg*/) {
  auto* st = static_cast<HelloState*>(SSL_get_app_data(ssl));
  st->seen = true;
  const unsigned char* p = nullptr;
  std::size_t len = 0;
  // server_name extension: list length (2), then entries of type (1), length (2), name.
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len) == 1 && len >= 5) {
    const std::size_t list = (static_cast<std::size_t>(p[0]) << 8) | p[1];
    std::size_t i = 2;
    while (i + 3 <= len && i + 3 <= list + 2) {
      const unsigned type = p[i];
      const std::size_t n = (static_cast<std::size_t>(p[i + 1]) << 8) | p[i + 2];
      if (i + 3 + n > len) break;
      if (type == TLSEXT_NAMETYPE_host_name) {
        st->sni = std::string(reinterpret_cast<const char*>(p + i + 3), n);
        break;
      }
      i += 3 + n;
    }
  }
  *alert = SSL_AD_HANDSHAKE_FAILURE;
  return SSL_CLIENT_HELLO_ERROR;
}

SSL_CTX* hello_context() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_server_method());
    if (c != nullptr) SSL_CTX_set_client_hello_cb(c, on_client_hello, nullptr);
    return c;
  }();
  return ctx;
}

}  // namespace

std::size_t tls_record_size(std::string_view d) {
  if (d.size() < 5 || static_cast<unsigned char>(d[0]) != 0x16 || static_cast<unsigned char>(d[1]) != 0x03) return 0;
  return 5 + ((static_cast<std::size_t>(static_cast<unsigned char>(d[3])) << 8) | static_cast<unsigned char>(d[4]));
}

ClientHelloInfo read_client_hello(std::string_view record) {
  ClientHelloInfo out;
  SSL_CTX* ctx = hello_context();
  if (ctx == nullptr) return out;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), &SSL_free);
  if (!ssl) return out;
  BIO* in = BIO_new_mem_buf(record.data(), static_cast<int>(record.size()));
  BIO* sink = BIO_new(BIO_s_mem());
  if (in == nullptr || sink == nullptr) {
    BIO_free(in);
    BIO_free(sink);
    return out;
  }
  SSL_set_bio(ssl.get(), in, sink);  // the SSL owns both now
  HelloState st;
  SSL_set_app_data(ssl.get(), &st);
  (void)SSL_accept(ssl.get());
  ERR_clear_error();  // the refused handshake leaves errors on this thread's queue
  out.is_client_hello = st.seen;
  out.sni = std::move(st.sni);
  return out;
}

}  // namespace kavach::network
