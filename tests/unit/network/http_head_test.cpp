// The egress proxy's view of a request head (Boost.Beast underneath).
#include "network/http_head.hpp"

#include <gtest/gtest.h>

namespace kavach::network {
namespace {

TEST(ProxyHead, ConnectNeedsTheWholeHead) {
  const std::string head = "CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n";
  ProxyRequest r;
  std::string err;
  for (std::size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(parse_proxy_head(head.substr(0, n), r, err), HeadStatus::need_more) << n;
  }
  ASSERT_EQ(parse_proxy_head(head + "\x16\x03\x01", r, err), HeadStatus::done);
  EXPECT_EQ(r.method, "CONNECT");
  EXPECT_EQ(r.target, "pypi.org:443");
  EXPECT_EQ(r.host_header, "pypi.org:443");
  EXPECT_EQ(r.head_bytes, head.size());  // the tunnel's first bytes are not part of the head
}

TEST(ProxyHead, AbsoluteFormIsRewrittenForTheOrigin) {
  const std::string head =
      "POST http://127.0.0.1:8765/upload?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nProxy-Connection: keep-alive\r\n"
      "Proxy-Authorization: Basic dTpw\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody";
  ProxyRequest r;
  std::string err;
  ASSERT_EQ(parse_proxy_head(head, r, err), HeadStatus::done);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "http://127.0.0.1:8765/upload?x=1");
  EXPECT_EQ(head.substr(r.head_bytes), "body");
  const std::string out = rewrite_for_origin(head, "/upload?x=1");
  EXPECT_EQ(out.rfind("POST /upload?x=1 HTTP/1.1\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Proxy-"), std::string::npos) << out;
  EXPECT_EQ(out.find("keep-alive"), std::string::npos) << out;
  EXPECT_NE(out.find("Content-Length: 4\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST(ProxyHead, GarbageAndGiantHeadsAreRefused) {
  ProxyRequest r;
  std::string err;
  EXPECT_EQ(parse_proxy_head("\x16\x03\x01\x02\x00 hello\r\n\r\n", r, err), HeadStatus::bad);
  EXPECT_FALSE(err.empty());
  err.clear();
  const std::string giant = "GET http://a/ HTTP/1.1\r\nX: " + std::string(kMaxHeadBytes, 'a');
  EXPECT_EQ(parse_proxy_head(giant, r, err), HeadStatus::bad);
  EXPECT_NE(err.find("larger"), std::string::npos) << err;
}

}  // namespace
}  // namespace kavach::network
