// network.allow: the entries' syntax (core) and how a destination is matched (the proxy's rules).
#include "network/egress_rules.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "kavach/network.hpp"

namespace kavach::network {
namespace {

EgressRules rules(std::initializer_list<const char*> entries) {
  std::vector<HostPort> out;
  for (const char* e : entries) {
    auto p = parse_allow_entry(e);
    EXPECT_TRUE(p.has_value()) << e << ": " << (p ? "" : p.error().message);
    if (p) out.push_back(*p);
  }
  return EgressRules(out);
}

TEST(AllowEntry, ParsesEveryForm) {
  struct Case {
    const char* text;
    const char* host;
    std::optional<std::uint16_t> port;
  };
  for (const Case& c : {Case{"pypi.org", "pypi.org", std::nullopt}, Case{"PyPI.org.:443", "pypi.org", 443},
                        Case{"*.pythonhosted.org", "*.pythonhosted.org", std::nullopt},
                        Case{"10.0.0.0/8:5432", "10.0.0.0/8", 5432}, Case{"[fd00::/8]:443", "fd00::/8", 443},
                        Case{"[2001:db8::1]:8443", "2001:db8::1", 8443}, Case{"2001:db8::1", "2001:db8::1", std::nullopt},
                        Case{"127.0.0.1:8765", "127.0.0.1", 8765}}) {
    auto e = parse_allow_entry(c.text);
    ASSERT_TRUE(e.has_value()) << c.text << ": " << e.error().message;
    EXPECT_EQ(e->host, c.host) << c.text;
    EXPECT_EQ(e->port, c.port) << c.text;
    auto again = parse_allow_entry(to_string(*e));  // what policy files and reports write reads back
    ASSERT_TRUE(again.has_value()) << to_string(*e);
    EXPECT_EQ(*again, *e);
  }
}

TEST(AllowEntry, RefusesWhatIsNotADestination) {
  for (const char* bad : {"", ":443", "pypi.org:", "pypi.org:0", "pypi.org:65536", "pypi.org:https", "*.com",
                          "*", "a..b", "exa mple.org", "10.0.0.0/33", "[fd00::/129]:443", "[::1", "[::1]x",
                          "http://pypi.org", "pypi.org/simple"}) {
    auto e = parse_allow_entry(bad);
    EXPECT_FALSE(e.has_value()) << "'" << bad << "' was accepted";
    if (!e) {
      EXPECT_EQ(e.error().code, ErrorCode::policy_value) << bad;
    }
  }
}

TEST(EgressRules, NamesMatchExactlyOrBelowAWildcard) {
  const EgressRules r = rules({"pypi.org", "*.pythonhosted.org", "api.example.com:8443"});
  EXPECT_TRUE(r.match("pypi.org", 443).allowed);
  EXPECT_TRUE(r.match("PYPI.ORG.", 80).allowed);
  EXPECT_FALSE(r.match("pypi.org", 22).allowed);  // no port: 80 and 443 only
  EXPECT_FALSE(r.match("evil-pypi.org", 443).allowed);
  EXPECT_FALSE(r.match("pypi.org.evil.com", 443).allowed);
  EXPECT_FALSE(r.match("sub.pypi.org", 443).allowed);  // a name is not its subdomains
  EXPECT_TRUE(r.match("files.pythonhosted.org", 443).allowed);
  EXPECT_TRUE(r.match("a.b.pythonhosted.org", 443).allowed);
  EXPECT_FALSE(r.match("pythonhosted.org", 443).allowed);  // a wildcard is not its domain
  EXPECT_FALSE(r.match("xpythonhosted.org", 443).allowed);
  EXPECT_TRUE(r.match("api.example.com", 8443).allowed);
  EXPECT_FALSE(r.match("api.example.com", 443).allowed);
  EXPECT_EQ(r.match("api.example.com", 443).reason, "port 443 of api.example.com is not in the allow-list");
  EXPECT_EQ(r.match("example.net", 443).reason, "example.net is not in the allow-list");
  EXPECT_EQ(r.match("files.pythonhosted.org", 443).rule, "*.pythonhosted.org");
}

TEST(EgressRules, AddressesMatchOnlyAddressEntries) {
  const EgressRules r = rules({"10.0.0.0/8:5432", "127.0.0.1:8765", "[fd00::/8]:443", "pypi.org"});
  EXPECT_TRUE(r.match("10.20.30.40", 5432).allowed);
  EXPECT_FALSE(r.match("11.0.0.1", 5432).allowed);
  EXPECT_TRUE(r.match("127.0.0.1", 8765).allowed);
  EXPECT_FALSE(r.match("127.0.0.2", 8765).allowed);
  EXPECT_TRUE(r.match("[fd12::1]", 443).allowed);
  EXPECT_FALSE(r.match("fe80::1", 443).allowed);
  // A name entry never lets an address through, and the other way round.
  EXPECT_FALSE(r.match("151.101.0.223", 443).allowed);
  EXPECT_FALSE(rules({"10.0.0.0/8"}).match("ten.example", 443).allowed);
}

TEST(EgressRules, NamesMayNotResolveToTheHostOrItsLink) {
  auto v4 = [](const char* ip) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    EXPECT_EQ(::inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return EgressRules::forbidden_for_names(reinterpret_cast<const sockaddr*>(&a));
  };
  auto v6 = [](const char* ip) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    EXPECT_EQ(::inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return EgressRules::forbidden_for_names(reinterpret_cast<const sockaddr*>(&a));
  };
  for (const char* ip : {"127.0.0.1", "127.1.2.3", "0.0.0.0", "169.254.169.254", "224.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(v4(ip).has_value()) << ip;
  }
  for (const char* ip : {"::1", "::", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254"}) {
    EXPECT_TRUE(v6(ip).has_value()) << ip;
  }
  EXPECT_FALSE(v4("151.101.0.223").has_value());
  EXPECT_FALSE(v4("10.1.2.3").has_value());  // private networks are fine (a corporate mirror)
  EXPECT_FALSE(v6("2a04:4e42::223").has_value());
}

}  // namespace
}  // namespace kavach::network
