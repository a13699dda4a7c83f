// One meaning per network mode on every backend (kavach/network.hpp): loopback TCP works, the
// host's network reaches the host, an allowlist reaches a listed local server through the egress
// proxy and nothing else (on gVisor through kavach-egress-bridge inside the sentry). A backend that cannot give a mode fails closed and says why.
#include <gtest/gtest.h>

#include "kavach/network.hpp"
#include "local_http_server.hpp"
#include "oci_fixture.hpp"

namespace kavach::oci_test {
namespace {

using testing_net::kFetch;
using testing_net::kLoopbackServer;
using testing_net::LocalHttpServer;


class OciNetworkModes : public ContainerTest {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  }
  SandboxPolicy policy(NetworkMode mode, std::vector<HostPort> allow = {}) {
    SandboxPolicy p = quick_policy(Preset::agent);
    p.network.mode = mode;
    p.network.allow = std::move(allow);
    return p;
  }
};

TEST_F(OciNetworkModes, LoopbackTcpWorksEverywhere) {
  Exercised ex;
  for (BackendKind kind : {BackendKind::process, BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    auto r = made.backend->exec(policy(NetworkMode::loopback), command({"/usr/bin/python3", "-c", kLoopbackServer}));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "pong\n") << to_string(kind) << ": " << describe(*r);
    EXPECT_EQ(r->enforcement.find(Control::network)->mode, "loopback");
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciNetworkModes, AnAllowListReachesItsHostAndNothingElse) {
  LocalHttpServer listed;
  LocalHttpServer other;
  const std::string listed_url = "http://127.0.0.1:" + std::to_string(listed.port()) + "/pkg";
  const std::string other_url = "http://127.0.0.1:" + std::to_string(other.port()) + "/";
  const auto allow = std::vector<HostPort>{{"127.0.0.1", listed.port()}};
  Exercised ex;
  for (BackendKind kind : {BackendKind::process, BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    auto r = made.backend->exec(policy(NetworkMode::allowlist, allow),
                                command({"/usr/bin/python3", "-c", kFetch, listed_url, other_url}));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data.substr(0, r->stdout_data.find('\n')), "OK served: GET /pkg HTTP/1.1")
        << to_string(kind) << ": " << describe(*r);
    EXPECT_NE(r->stdout_data.find("HTTP 403 kavach: egress to 127.0.0.1:" + std::to_string(other.port())),
              std::string::npos)
        << to_string(kind) << ": " << r->stdout_data;
    EXPECT_EQ(r->egress.allowed, 1u) << to_string(kind);
    EXPECT_EQ(r->egress.denied, 1u) << to_string(kind);
    EXPECT_TRUE(r->enforcement.applied(Control::egress_proxy)) << to_string(kind);
  }
  EXPECT_EQ(other.requests(), 0);
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

// The proxy's socket on gVisor is the sandbox's alone (owner: the runtime's host uid, group: the
// sandbox user's): a sandbox user other than root still reaches the proxy.
TEST_F(OciNetworkModes, AnAllowListWorksForANonRootSandboxUser) {
  LocalHttpServer listed;
  const std::string url = "http://127.0.0.1:" + std::to_string(listed.port()) + "/pkg";
  Exercised ex;
  for (BackendKind kind : {BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    SandboxPolicy p = policy(NetworkMode::allowlist, {{"127.0.0.1", listed.port()}});
    p.uid = 1000;
    p.gid = 1000;
    auto r = made.backend->exec(p, command({"/usr/bin/python3", "-c", kFetch, url}));
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "OK served: GET /pkg HTTP/1.1\n") << to_string(kind) << ": " << describe(*r);
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

TEST_F(OciNetworkModes, TheHostsNetworkReachesTheHost) {
  LocalHttpServer host_server;
  const std::string url = "http://127.0.0.1:" + std::to_string(host_server.port()) + "/";
  Exercised ex;
  for (BackendKind kind : {BackendKind::process, BackendKind::oci, BackendKind::gvisor}) {
    auto made = make(kind, host_);
    if (!ex.take(kind, made)) continue;
    auto r = made.backend->exec(policy(NetworkMode::host), command({"/usr/bin/python3", "-c", kFetch, url}));
    if (kind == BackendKind::gvisor) {  // runsc --network=host fails in kavach's user namespace
      ASSERT_FALSE(r.has_value()) << describe(*r);
      EXPECT_EQ(r.error().code, ErrorCode::control_unavailable);
      continue;
    }
    ASSERT_TRUE(r.has_value()) << to_string(kind) << ": " << r.error().describe();
    EXPECT_EQ(r->stdout_data, "OK served: GET / HTTP/1.1\n") << to_string(kind) << ": " << describe(*r);
    EXPECT_EQ(r->enforcement.find(Control::network)->mode, "host");
    EXPECT_FALSE(r->enforcement.find(Control::ns_net)->requested);
  }
  KAVACH_SKIP_IF_NONE_RAN(ex);
}

}  // namespace
}  // namespace kavach::oci_test
