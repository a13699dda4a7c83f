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
#include "cli_sandbox_test.hpp"
#include "local_http_server.hpp"
#include "run_kavach.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;
using testing_net::kFetch;
using testing_net::kLoopbackServer;
using testing_net::LocalHttpServer;

class NetworkCli : public CliSandboxTest {
 protected:
  void SetUp() override {
    CliSandboxTest::SetUp();
    if (IsSkipped()) return;
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3 (Debian's python3)";
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
  KavachRun last_;
};


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

// A python3 HTTPS server on 127.0.0.1 with a fresh self-signed certificate (openssl CLI): it
// answers "tls served" and, when it gets an Authorization field, whether it is the expected one
// (never the value itself). Skips the test without python3/openssl/curl.
class HttpsServer {
 public:
  // `serve_dir`: serve that directory's files instead (GET only).
  HttpsServer(const fs::path& dir, const std::string& expected_auth, const std::string& serve_dir = "") {
    cert_ = (dir / "cert.pem").string();
    const std::string key = (dir / "key.pem").string();
    ok_ = std::system(("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert_ +
                       " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null")
                          .c_str()) == 0;
    if (!ok_) return;
    fs::permissions(cert_, fs::perms::others_read, fs::perm_options::add);
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::setenv("EXPECTED_AUTH", expected_auth.c_str(), 1);
      ::setenv("SERVE_DIR", serve_dir.c_str(), 1);
      ::execl("/usr/bin/python3", "python3", "-c",
              "import http.server, ssl, sys, os\n"
              "class H(http.server.BaseHTTPRequestHandler):\n"
              "    def do_GET(self):\n"
              "        if os.environ['SERVE_DIR']:\n"
              "            p = os.path.join(os.environ['SERVE_DIR'], self.path.split('?')[0].lstrip('/'))\n"
              "            if not os.path.isfile(p): self.send_error(404); return\n"
              "            b = open(p, 'rb').read(); self.send_response(200)\n"
              "            self.send_header('Content-Type', 'text/html' if p.endswith('.html') else 'application/octet-stream')\n"
              "            self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b); return\n"
              "        a = self.headers.get('Authorization')\n"
              "        b = b'tls served\\n' if a is None else (b'authorized\\n' if a == os.environ['EXPECTED_AUTH'] else b'not authorized\\n')\n"
              "        self.send_response(200); self.send_header('Content-Length', str(len(b)));"
              " self.end_headers(); self.wfile.write(b)\n"
              "    def log_message(self, *a): pass\n"
              "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
              "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
              "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
              "print(s.server_address[1], flush=True); s.serve_forever()\n",
              cert_.c_str(), key.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    char c = 0;  // the port, up to its newline (the pipe may deliver it in pieces)
    while (::read(out[0], &c, 1) == 1 && c != '\n') port_ += c;
    ::close(out[0]);
  }
  ~HttpsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  [[nodiscard]] bool ok() const { return ok_ && !port_.empty(); }
  [[nodiscard]] const std::string& port() const { return port_; }
  [[nodiscard]] const std::string& cert() const { return cert_; }

 private:
  bool ok_ = false;
  pid_t pid_ = -1;
  std::string port_;
  std::string cert_;
};

bool https_tools_present() {
  return ::access("/usr/bin/openssl", X_OK) == 0 && ::access("/usr/bin/curl", X_OK) == 0;
}

TEST_F(NetworkCli, HttpsThroughAConnectTunnelWithTheServersOwnCertificate) {
  if (!https_tools_present()) GTEST_SKIP() << "needs /usr/bin/openssl (a certificate) and /usr/bin/curl (the client)";
  HttpsServer server(dir_, "");
  ASSERT_TRUE(server.ok());
  last_ = run_kavach({"run", "--json", "--allow", "127.0.0.1:" + server.port(), "--ro", dir_.string(), "--",
                      "/usr/bin/curl", "-sS", "--cacert", server.cert(), "https://127.0.0.1:" + server.port() + "/"});
  const auto j = parse_json(last_.out);
  EXPECT_EQ(j.value("stdout", ""), "tls served\n") << last_.out << last_.err;
  ASSERT_TRUE(j.contains("egress"));
  EXPECT_EQ(j.at("egress").at("connections").at(0).at("method"), "CONNECT");
}

// git over HTTPS through the proxy: a bare repository served as static files (git's "dumb"
// HTTP protocol) from a local HTTPS server, cloned inside the sandbox.
TEST_F(NetworkCli, GitClonesOverHttpsThroughTheProxy) {
  if (!https_tools_present() || ::access("/usr/bin/git", X_OK) != 0) {
    GTEST_SKIP() << "needs /usr/bin/openssl, /usr/bin/curl and /usr/bin/git";
  }
  const std::string d = dir_.string();
  ASSERT_EQ(std::system(("set -e; cd " + d + "; git init -q work; echo 'hello through the proxy' > work/hello.txt; "
                         "git -C work add hello.txt; git -C work -c user.name=t -c user.email=t@example.invalid "
                         "commit -q -m one; mkdir www; git clone -q --bare work www/repo.git; "
                         "git -C www/repo.git update-server-info; chmod -R a+rX " + d)
                            .c_str()),
            0);
  HttpsServer server(dir_, "", d + "/www");
  ASSERT_TRUE(server.ok());
  last_ = run_kavach({"run", "--json", "--allow", "127.0.0.1:" + server.port(), "--ro", d, "--", "/bin/sh", "-c",
                      "git -c http.sslCAInfo=" + server.cert() + " clone -q https://127.0.0.1:" + server.port() +
                          "/repo.git /tmp/r && cat /tmp/r/hello.txt"});
  const auto j = parse_json(last_.out);
  EXPECT_EQ(j.value("stdout", ""), "hello through the proxy\n") << last_.out << last_.err;
  ASSERT_TRUE(j.contains("egress"));
  EXPECT_GE(j.at("egress").at("allowed").get<int>(), 1);
  EXPECT_EQ(j.at("egress").at("denied"), 0);
}

// pip through the proxy: `pip download` from a local package index (a find-links page and a
// wheel, served over HTTPS on this host) inside allowlist mode.
TEST_F(NetworkCli, PipDownloadsFromALocalIndexThroughTheProxy) {
  if (!https_tools_present() || std::system("/usr/bin/python3 -m pip --version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "needs /usr/bin/openssl, /usr/bin/curl and Debian's python3-pip";
  }
  const std::string d = dir_.string();
  ASSERT_EQ(std::system(("set -e; mkdir -p " + d + "/www; cd " + d + "/www; /usr/bin/python3 -c '"
                         "import zipfile\n"
                         "z = zipfile.ZipFile(\"kavachdemo-1.0-py3-none-any.whl\", \"w\")\n"
                         "z.writestr(\"kavachdemo/__init__.py\", \"X = 1\\n\")\n"
                         "z.writestr(\"kavachdemo-1.0.dist-info/METADATA\", \"Metadata-Version: 2.1\\nName: kavachdemo\\nVersion: 1.0\\n\")\n"
                         "z.writestr(\"kavachdemo-1.0.dist-info/WHEEL\", \"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n\")\n"
                         "z.writestr(\"kavachdemo-1.0.dist-info/RECORD\", \"\")\n"
                         "z.close()'; "
                         "echo '<a href=\"kavachdemo-1.0-py3-none-any.whl\">kavachdemo-1.0-py3-none-any.whl</a>' > links.html; "
                         "chmod -R a+rX " + d)
                            .c_str()),
            0);
  HttpsServer server(dir_, "", d + "/www");
  ASSERT_TRUE(server.ok());
  last_ = run_kavach({"run", "--json", "--timeout-ms", "60000", "--allow", "127.0.0.1:" + server.port(), "--ro", d,
                      "--", "/bin/sh", "-c",
                      "/usr/bin/python3 -m pip download --no-cache-dir --disable-pip-version-check --no-index "
                      "--cert " + server.cert() + " --find-links https://127.0.0.1:" + server.port() +
                          "/links.html -d /tmp/dl kavachdemo >/dev/null && ls /tmp/dl"});
  const auto j = parse_json(last_.out);
  EXPECT_EQ(j.value("stdout", ""), "kavachdemo-1.0-py3-none-any.whl\n") << last_.out << last_.err;
  ASSERT_TRUE(j.contains("egress"));
  EXPECT_GE(j.at("egress").at("allowed").get<int>(), 1);
  EXPECT_EQ(j.at("egress").at("denied"), 0);
}

// The credential placeholder, on every backend that runs here: the server sees the real token
// in its header, the sandbox only ever holds the placeholder (its environment, its files, its
// output), and a placeholder sent in another field is refused, not swapped.
TEST_F(NetworkCli, APlaceholderBecomesTheSecretOnlyAtItsHost) {
  if (!https_tools_present()) GTEST_SKIP() << "needs /usr/bin/openssl (a certificate) and /usr/bin/curl (the client)";
  const std::string secret = "ghp_kavachTestToken0123456789abcdefXYZ";
  HttpsServer server(dir_, "Bearer " + secret);
  ASSERT_TRUE(server.ok());
  const std::string url = "https://127.0.0.1:" + server.port() + "/user";
  const std::string script =
      "env | grep -c kavach-placeholder-; grep -rl \"$GH_TOKEN\" /run/kavach 2>/dev/null | wc -l; "
      "curl -sS -H \"Authorization: Bearer $GH_TOKEN\" " + url + "; "
      "curl -sS -H \"X-Debug: $GH_TOKEN\" " + url + "; "
      "cat /proc/self/environ | tr '\\0' '\\n' | grep -c ghp_ || true";
  int ran = 0;
  for (const char* backend : {"process", "oci", "gvisor"}) {
    SCOPED_TRACE(backend);
    ::setenv("KAVACH_TEST_EGRESS_TOKEN", secret.c_str(), 1);
    ::setenv("KAVACH_EGRESS_CA", server.cert().c_str(), 1);
    last_ = run_kavach({"run", "--json", "--backend", backend, "--allow", "127.0.0.1:" + server.port(), "--secret",
                        "TOKEN=env:KAVACH_TEST_EGRESS_TOKEN", "--inject",
                        "TOKEN=egress:GH_TOKEN@127.0.0.1:" + server.port() + "/Authorization", "--", "/bin/sh",
                        "-c", script});
    ::unsetenv("KAVACH_EGRESS_CA");
    ::unsetenv("KAVACH_TEST_EGRESS_TOKEN");
    if (std::string(backend) != "process" && (last_.err.find("backend_unavailable") != std::string::npos ||
                                              last_.err.find("runtime_missing") != std::string::npos)) {
      std::printf("note: %s does not run here: %s\n", backend, last_.err.c_str());
      continue;
    }
    ++ran;
    const auto j = parse_json(last_.out);
    const std::string out = j.value("stdout", "");
    EXPECT_EQ(out.find(secret), std::string::npos) << "the sandbox saw the secret:\n" << out;
    EXPECT_EQ(last_.out.find(secret), std::string::npos);
    EXPECT_EQ(last_.err.find(secret), std::string::npos);
    // One variable holds the placeholder; the server saw the real token; the X-Debug request was refused.
    EXPECT_NE(out.find("1\n"), std::string::npos) << out << last_.err;
    EXPECT_NE(out.find("authorized\n"), std::string::npos) << out << last_.err;
    EXPECT_EQ(out.find("not authorized"), std::string::npos) << out;
    EXPECT_NE(out.find("the placeholder of TOKEN is in the X-Debug field, not Authorization"), std::string::npos)
        << out;
    EXPECT_EQ(j.value("gate", nlohmann::json::object()).value("verdict", ""), "pass") << last_.out;
    ASSERT_TRUE(j.contains("egress")) << last_.out << last_.err;
    bool swapped = false;
    for (const auto& c : j.at("egress").at("connections")) {
      if (c.value("credential", "") == "TOKEN") swapped = true;
    }
    EXPECT_TRUE(swapped) << j.at("egress").dump();
  }
  EXPECT_GE(ran, 1);
}

// Negative control: the same script with the secret injected as a plain variable: the sandbox
// holds the value itself (and the server is authorized by the sandbox, not by the proxy).
TEST_F(NetworkCli, WithoutThePlaceholderTheSandboxHoldsTheSecret) {
  if (!https_tools_present()) GTEST_SKIP() << "needs /usr/bin/openssl (a certificate) and /usr/bin/curl (the client)";
  const std::string secret = "ghp_kavachTestToken0123456789abcdefXYZ";
  ::setenv("KAVACH_TEST_EGRESS_TOKEN", secret.c_str(), 1);
  last_ = run_kavach({"run", "--json", "--secret", "TOKEN=env:KAVACH_TEST_EGRESS_TOKEN", "--inject",
                      "TOKEN=env:GH_TOKEN", "--", "/bin/sh", "-c",
                      "cat /proc/self/environ | tr '\\0' '\\n' | grep -c ghp_kavachTestToken"});
  ::unsetenv("KAVACH_TEST_EGRESS_TOKEN");
  const auto j = parse_json(last_.out);
  EXPECT_EQ(j.value("stdout", ""), "1\n") << last_.out;
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
