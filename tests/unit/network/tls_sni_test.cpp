// The server name in a real ClientHello, made by OpenSSL's own client.
#include "network/tls_sni.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>

namespace kavach::network {
namespace {

std::string client_hello(const char* sni) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl.get(), in, out);
  if (sni != nullptr) SSL_set_tlsext_host_name(ssl.get(), sni);
  (void)SSL_connect(ssl.get());  // wants to read the answer; the hello is written by then
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

TEST(TlsSni, ReadsTheNameTheClientAsksFor) {
  const std::string hello = client_hello("files.pythonhosted.org");
  ASSERT_GT(tls_record_size(hello), 5u);
  ASSERT_LE(tls_record_size(hello), hello.size());
  const ClientHelloInfo info = read_client_hello(hello.substr(0, tls_record_size(hello)));
  EXPECT_TRUE(info.is_client_hello);
  ASSERT_TRUE(info.sni.has_value());
  EXPECT_EQ(*info.sni, "files.pythonhosted.org");
}

TEST(TlsSni, NoNameAndNoHello) {
  const std::string hello = client_hello(nullptr);
  const ClientHelloInfo info = read_client_hello(hello.substr(0, tls_record_size(hello)));
  EXPECT_TRUE(info.is_client_hello);
  EXPECT_FALSE(info.sni.has_value());
  EXPECT_EQ(tls_record_size("GET / HTTP/1.1\r\n"), 0u);
  EXPECT_FALSE(read_client_hello("\x16\x03\x01\x00\x05hello").is_client_hello);
}

}  // namespace
}  // namespace kavach::network
