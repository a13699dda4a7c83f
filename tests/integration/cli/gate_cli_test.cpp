// The gate through the real CLI (issue 22): a registered secret printed in the encodings and
// disguises an outside test used (UTF-16, ANSI colour, zero-width characters, overstrikes, CR
// splits, JSON \u00XX) is blocked; a truncated private key and an Ed25519 key are at least
// quarantined; binary output keeps its length; personal data is reported, not rewritten.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "cli_sandbox_test.hpp"
#include "run_kavach.hpp"

namespace kavach::cli {
namespace {

class GateCli : public CliSandboxTest {
 protected:
  void SetUp() override {
    CliSandboxTest::SetUp();
    if (IsSkipped()) return;
    if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  }
};

constexpr const char* kDisguise =
    "import os, sys\n"
    "t = os.environ['TOK']\n"
    "cases = {\n"
    " 'utf16le': t.encode('utf-16-le'), 'utf16be': t.encode('utf-16-be'),\n"
    " 'ansi': '\\x1b[31m'.join(t).encode(), 'ansi-reset': '\\x1b[0m\\x1b[1;32m'.join(t).encode(),\n"
    " 'zero-width': '\\u200b'.join(t).encode(), 'bold': ''.join(c + '\\b' + c for c in t).encode(),\n"
    " 'underline': ''.join('_\\b' + c for c in t).encode(), 'cr': (t[:6] + '\\r' + t[6:]).encode(),\n"
    " 'crlf': (t[:6] + '\\r\\n' + t[6:]).encode(), 'json-u': ''.join('\\\\u%04x' % ord(c) for c in t).encode(),\n"
    "}\n"
    "sys.stdout.buffer.write(b'before ' + cases[sys.argv[1]] + b' after\\n')\n";

TEST_F(GateCli, ARegisteredSecretIsBlockedInEveryDisguise) {
  ::setenv("KAVACH_TEST_GATE_TOKEN", "s3cr3t-Kv9xQ2mZp7Lw", 1);
  for (const char* c : {"utf16le", "utf16be", "ansi", "ansi-reset", "zero-width", "bold", "underline", "cr", "crlf",
                        "json-u"}) {
    SCOPED_TRACE(c);
    const KavachRun r = run_kavach({"run", "--json", "--secret", "T=env:KAVACH_TEST_GATE_TOKEN", "--inject",
                                    "T=env:TOK", "--", "/usr/bin/python3", "-c", kDisguise, c});
    const auto j = parse_json(r.out);
    EXPECT_EQ(j.at("gate").at("verdict"), "block") << r.out << r.err;
    EXPECT_EQ(r.out.find("Kv9xQ2mZp7Lw"), std::string::npos);
    // Negative control: the same value as a plain variable is not a registered secret.
    const KavachRun plain = run_kavach({"run", "--json", "--env", "TOK=s3cr3t-Kv9xQ2mZp7Lw", "--",
                                        "/usr/bin/python3", "-c", kDisguise, c});
    EXPECT_EQ(parse_json(plain.out).at("gate").at("verdict"), "pass") << plain.out;
  }
  ::unsetenv("KAVACH_TEST_GATE_TOKEN");
}

TEST_F(GateCli, TruncatedAndEd25519PrivateKeysAreAtLeastQuarantined) {
  if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/openssl";
  const std::string d = dir_.string();
  ASSERT_EQ(std::system(("openssl genrsa -out " + d + "/rsa.pem 2048 2>/dev/null && openssl genpkey -algorithm "
                         "ed25519 -out " + d + "/ed.pem && chmod a+r " + d + "/rsa.pem " + d + "/ed.pem")
                            .c_str()),
            0);
  for (const std::string& cmd : {"head -c 800 " + d + "/rsa.pem", "cat " + d + "/ed.pem"}) {
    SCOPED_TRACE(cmd);
    const KavachRun r = run_kavach({"run", "--json", "--ro", d, "--", "/bin/sh", "-c", cmd});
    const auto j = parse_json(r.out);
    const std::string v = j.at("gate").at("verdict");
    EXPECT_TRUE(v == "quarantine" || v == "block") << r.out;
  }
}

TEST_F(GateCli, BinaryOutputKeepsItsLengthAndPersonalDataIsKept) {
  // 1 MiB of pseudo-random bytes with an e-mail address and NUL bytes in it.
  const std::string code =
      "import random, sys\n"
      "r = random.Random(7)\n"
      "b = bytes(r.getrandbits(8) for _ in range(1 << 20))\n"
      "sys.stdout.buffer.write(b[:5000] + b' mail jane.doe@corpmail.com \\0 ' + b[5000:])\n";
  const KavachRun r = run_kavach({"run", "--json", "--output-limit", "4M", "--", "/usr/bin/python3", "-c", code});
  const auto j = parse_json(r.out);
  ASSERT_TRUE(j.contains("stdout_b64")) << "binary stdout is carried losslessly";
  EXPECT_EQ(j.at("exit_code"), 0) << r.err;
  const std::string b64 = j.at("stdout_b64");
  EXPECT_EQ(b64.size(), ((1u << 20) + 31u + 2) / 3 * 4) << "the released bytes are exactly as long as written";

  const KavachRun log = run_kavach({"run", "--json", "--", "/bin/sh", "-c",
                                    "printf 'commit 1\\nAuthor: Jane Doe <jane.doe@corpmail.com>\\n'"});
  const auto lj = parse_json(log.out);
  EXPECT_EQ(lj.at("stdout"), "commit 1\nAuthor: Jane Doe <jane.doe@corpmail.com>\n") << log.out;
  EXPECT_EQ(lj.at("gate").at("findings").at(0).at("rule"), "email-address") << log.out;
  EXPECT_EQ(lj.at("gate").at("findings").at(0).at("rewritten"), false);
}

}  // namespace
}  // namespace kavach::cli
