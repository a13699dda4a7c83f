// Network modes through the real CLI on the process backend (issue 14's "Done when"): a TCP
// server on loopback, an allow-listed local HTTP(S) server reached through the egress proxy, a
// refused one (in the sandbox and in the audit log), and the host's own network scoring lower.
// Every address is this host's loopback or the sandbox's own: nothing outside is contacted.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kavach/backend.hpp"
#include "local_http_server.hpp"
#include "run_kavach.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;
using testing_net::kFetch;
using testing_net::LocalHttpServer;

class NetworkCli : public testing::Test {
 protected:
  void SetUp() override {
    auto b = create_backend(BackendKind::process);
    if (!b || !(*b)->availability().available) {
      GTEST_SKIP() << "process backend unavailable: " << (b ? (*b)->availability().reason : b.error().message);
    }
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3 (Debian's python3)";
    char tmpl[] = "/tmp/kavach-net-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  // `kavach run --json ARGS -- /usr/bin/python3 -c CODE`: the parsed result.
  nlohmann::json run_python(std::vector<std::string> args, const std::string& code) {
    std::vector<std::string> all = {"run", "--json", "--preset", "agent", "--timeout-ms", "20000"};
    all.insert(all.end(), args.begin(), args.end());
    for (const char* a : {"--", "/usr/bin/python3", "-c"}) all.emplace_back(a);
    all.push_back(code);
    last_ = run_kavach(all);
    return parse_json(last_.out);
  }
  fs::path dir_;
  KavachRun last_;
};

// Python inside: serve one TCP connection on 127.0.0.1:8000 and connect to it.
const char* kLoopbackServer = R"(
import socket, threading
def serve(s):
    c, _ = s.accept(); c.sendall(b'pong'); c.close()
try:
    s = socket.socket(); s.bind(('127.0.0.1', 8000)); s.listen()
    threading.Thread(target=serve, args=(s,)).start()
    print(socket.create_connection(('127.0.0.1', 8000), timeout=5).recv(4).decode())
except OSError as e:
    print('failed:', e.strerror); raise SystemExit(3)
)";

TEST_F(NetworkCli, ATcpServerOnLoopbackWorksUnderTheAgentPreset) {
  const auto j = run_python({"--network", "loopback"}, kLoopbackServer);
  EXPECT_EQ(j.at("stdout"), "pong\n") << last_.out << last_.err;
  EXPECT_EQ(j.at("exit_code"), 0);
  // Negative control: with the network off, `lo` is down and the same program fails.
  const auto off = run_python({"--network", "off"}, kLoopbackServer);
  EXPECT_EQ(off.at("exit_code"), 3) << last_.out;
  EXPECT_NE(off.at("stdout").get<std::string>().find("failed:"), std::string::npos);
}


TEST_F(NetworkCli, AnAllowListReachesItsHostsThroughTheProxyAndNothingElse) {
  LocalHttpServer listed;
  LocalHttpServer other;
  const std::string listed_url = "http://127.0.0.1:" + std::to_string(listed.port()) + "/simple/pkg/";
  const std::string other_url = "http://127.0.0.1:" + std::to_string(other.port()) + "/";
  const fs::path audit = dir_ / "audit.jsonl";
  std::vector<std::string> args = {"--allow", "127.0.0.1:" + std::to_string(listed.port()), "--audit-log",
                                   audit.string()};
  std::vector<std::string> all = {"run", "--json", "--preset", "agent"};
  all.insert(all.end(), args.begin(), args.end());
  for (const std::string& a : {std::string("--"), std::string("/usr/bin/python3"), std::string("-c"),
                               std::string(kFetch), listed_url, other_url, std::string("http://example.com/")}) {
    all.push_back(a);
  }
  last_ = run_kavach(all);
  const auto j = parse_json(last_.out);
  const std::string out = j.value("stdout", "");
  EXPECT_NE(out.find("OK served: GET /simple/pkg/ HTTP/1.1"), std::string::npos) << out << last_.err;
  EXPECT_NE(out.find("HTTP 403 kavach: egress to 127.0.0.1:" + std::to_string(other.port()) + " refused"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("HTTP 403 kavach: egress to example.com:80 refused: example.com is not in the allow-list"),
            std::string::npos)
      << out;
  EXPECT_EQ(listed.requests(), 1);
  EXPECT_EQ(other.requests(), 0);
  const auto& egress = j.at("egress");
  EXPECT_EQ(egress.at("allowed"), 1);
  EXPECT_EQ(egress.at("denied"), 2);
  EXPECT_GT(egress.at("bytes_down").get<int>(), 0);
  // The audit trail: one event per connection, with host, port and bytes; never content.
  std::ifstream in(audit);
  std::string line;
  int allowed = 0;
  int denied = 0;
  while (std::getline(in, line)) {
    const auto ev = nlohmann::json::parse(line, nullptr, false);
    if (ev.is_discarded() || !ev.contains("event")) continue;
    const auto& e = ev.at("event");
    const std::string type = e.value("type", "");
    if (type == "egress_allowed") {
      ++allowed;
      EXPECT_EQ(e.at("data").at("port"), listed.port());
      EXPECT_GT(e.at("data").at("bytes_down").get<int>(), 0);
    }
    if (type == "egress_denied") {
      ++denied;
      EXPECT_FALSE(e.at("data").at("reason").get<std::string>().empty());
    }
    EXPECT_EQ(line.find("served:"), std::string::npos) << "content in the audit log: " << line;
  }
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(denied, 2);
  // The enforcement report names the proxy and the DNS policy.
  bool proxy = false;
  for (const auto& c : j.at("enforcement")) {
    if (c.at("control") == "egress_proxy") proxy = c.at("applied").get<bool>();
  }
  EXPECT_TRUE(proxy);
}

// Negative control for the proxy: loopback mode has no way to the host's server at all.
TEST_F(NetworkCli, WithoutTheProxyTheHostsServerIsOutOfReach) {
  LocalHttpServer host_server;
  std::vector<std::string> all = {"run", "--json", "--network", "loopback", "--", "/usr/bin/python3", "-c", kFetch,
                                  "http://127.0.0.1:" + std::to_string(host_server.port()) + "/"};
  last_ = run_kavach(all);
  const auto r = parse_json(last_.out);
  EXPECT_EQ(r.value("stdout", ""), "ERR URLError\n") << last_.out;
  EXPECT_EQ(host_server.requests(), 0);
}

TEST_F(NetworkCli, HttpsThroughAConnectTunnelWithTheServersOwnCertificate) {
  if (::access("/usr/bin/openssl", X_OK) != 0 || ::access("/usr/bin/curl", X_OK) != 0) {
    GTEST_SKIP() << "needs /usr/bin/openssl (to make a certificate) and /usr/bin/curl (the client)";
  }
  const std::string cert = (dir_ / "cert.pem").string();
  const std::string key = (dir_ / "key.pem").string();
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                         " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null")
                            .c_str()),
            0);
  fs::permissions(cert, fs::perms::others_read, fs::perm_options::add);
  // The HTTPS server: python3 from the host, on a port it prints.
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t server = ::fork();
  if (server == 0) {
    ::dup2(out[1], 1);
    ::execl("/usr/bin/python3", "python3", "-c",
            "import http.server, ssl, sys\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        b = b'tls served\\n'; self.send_response(200); self.send_header('Content-Length', str(len(b)));"
            " self.end_headers(); self.wfile.write(b)\n"
            "    def log_message(self, *a): pass\n"
            "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
            "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
            "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
            "print(s.server_address[1], flush=True); s.serve_forever()\n",
            cert.c_str(), key.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  char buf[16] = {};
  const ssize_t n = ::read(out[0], buf, sizeof buf - 1);
  ::close(out[0]);
  const std::string port = n > 0 ? std::string(buf, static_cast<std::size_t>(n - 1)) : "";
  ASSERT_FALSE(port.empty());
  last_ = run_kavach({"run", "--json", "--allow", "127.0.0.1:" + port, "--ro", dir_.string(), "--", "/usr/bin/curl",
                      "-sS", "--cacert", cert, "https://127.0.0.1:" + port + "/"});
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);
  const auto j = parse_json(last_.out);
  EXPECT_EQ(j.value("stdout", ""), "tls served\n") << last_.out << last_.err;
  ASSERT_TRUE(j.contains("egress"));
  EXPECT_EQ(j.at("egress").at("connections").at(0).at("method"), "CONNECT");
}

TEST_F(NetworkCli, TheHostsNetworkWorksAndScoresLower) {
  LocalHttpServer host_server;
  const std::string url = "http://127.0.0.1:" + std::to_string(host_server.port()) + "/";
  last_ = run_kavach({"run", "--json", "--network", "host", "--", "/usr/bin/python3", "-c", kFetch, url});
  const auto host = parse_json(last_.out);
  EXPECT_EQ(host.value("stdout", ""), "OK served: GET / HTTP/1.1\n") << last_.out << last_.err;
  last_ = run_kavach({"run", "--json", "--network", "loopback", "--", "/bin/true"});
  const auto loop = parse_json(last_.out);
  const int host_score = host.at("score").at("value");
  const int loop_score = loop.at("score").at("value");
  EXPECT_LE(host_score + 15, loop_score);
  for (const auto& c : host.at("enforcement")) {
    if (c.at("control") == "network") {
      EXPECT_EQ(c.at("mode"), "host");
    }
    if (c.at("control") == "ns_net") {
      EXPECT_FALSE(c.at("requested").get<bool>());
    }
  }
}

}  // namespace
}  // namespace kavach::cli
