// W — network egress: loopback listener, host address, DNS, ICMP, metadata, vsock, netlink.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "net.hpp"
#include "probe.hpp"
#include "util.hpp"

namespace probe {
namespace {

bool unreachable(int err) {
  return err == ENETUNREACH || err == EHOSTUNREACH || err == EACCES || err == EPERM ||
         err == EAFNOSUPPORT || err == ENOSYS;
}

Outcome w01_egress_tcp(const Expect& e) {
  if (!e.has("tcp-port")) return skip("harness gave no --tcp-port");
  int port = static_cast<int>(*e.num("tcp-port"));
  int lo = tcp_connect("127.0.0.1", port, 1000);
  std::string d = "127.0.0.1:" + std::to_string(port) + " -> " + (lo == 0 ? "CONNECTED" : errname(-lo));
  bool bad = lo == 0;
  if (e.has("host-ip")) {
    int h = tcp_connect(e.str("host-ip"), port, 1000);
    d += "; " + e.str("host-ip") + ":" + std::to_string(port) + " -> " + (h == 0 ? "CONNECTED" : errname(-h));
    // ECONNREFUSED means the host's stack answered: the host is reachable.
    if (h == 0 || !unreachable(-h)) bad = true;
  }
  if (bad) return fail(d, lo < 0 ? -lo : 0);
  return pass(d, -lo);
}

std::string resolver(const Expect& e) {
  if (e.has("resolver")) return e.str("resolver");
  if (auto rc = read_file("/etc/resolv.conf")) {
    for (const auto& line : split(*rc, '\n')) {
      auto f = split(line, ' ');
      if (f.size() >= 2 && f[0] == "nameserver" && f[1].find(':') == std::string::npos) return f[1];
    }
  }
  return "192.0.2.53";  // TEST-NET-1: a route check only, nothing is sent
}

Outcome w02_egress_udp_dns(const Expect& e) {
  std::string r = resolver(e);
  int c = udp_connect(r, 53);  // route lookup only: no datagram leaves
  std::string d = "udp connect " + r + ":53 -> " + (c == 0 ? "ROUTED" : errname(-c));
  if (c == 0) return fail(d + " (DNS exfiltration path open)");
  return pass(d, -c);
}

Outcome w03_icmp(const Expect&) {
  std::string d;
  bool opened = false;
  for (auto [type, name] : {std::pair{SOCK_DGRAM, "ping socket"}, std::pair{SOCK_RAW, "raw icmp"}}) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, IPPROTO_ICMP);  // never sends
    if (fd >= 0) {
      close(fd);
      opened = true;
      d += std::string(" ") + name + ": OPENED;";
    } else {
      d += std::string(" ") + name + ":" + errname(errno) + ";";
    }
  }
  if (opened) return fail(trim(d));
  return pass(trim(d), EACCES);
}

Outcome w04_metadata(const Expect&) {
  int c = udp_connect("169.254.169.254", 80);  // route lookup only
  std::string routes;
  if (auto rt = read_file("/proc/net/route")) {
    auto lines = split(*rt, '\n');
    routes = std::to_string(lines.empty() ? 0 : lines.size() - 1) + " IPv4 routes";
  }
  std::string d = "route to 169.254.169.254 -> " + (c == 0 ? std::string("EXISTS") : errname(-c)) +
                  (routes.empty() ? "" : "; " + routes);
  if (c == 0) return fail(d);
  return pass(d, -c);
}

Outcome w05_vsock(const Expect& e) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);  // never connected
  int err = errno;
  if (fd >= 0) {
    close(fd);
    return fail("AF_VSOCK socket created");
  }
  if (err == EAFNOSUPPORT && e.features_known() && !e.feature("vsock")) {
    return skip("kernel lacks AF_VSOCK (measured outside the sandbox)");
  }
  return pass("AF_VSOCK socket(): " + errname(err), err);
}

Outcome w06_netlink_host(const Expect& e) {
  // Harmless form: no route/address is changed; we check that what a change would touch is
  // our own namespace (different inode, only our interfaces).
  std::uint64_t mine = ns_inode("net");
  bool same = false;
  for (const auto& item : e.list("host-ns")) {
    if (starts_with(item, "net=")) same = parse_u64(item.substr(4)).value_or(0) == mine;
  }
  std::string names;
  bool host_ifs = false;
  for (const auto& n : interfaces()) {
    names += (names.empty() ? "" : ",") + n;
    if (n != "lo") host_ifs = true;
  }
  std::string d = "netns " + std::to_string(mine) + (same ? " == host" : "") + "; interfaces={" + names + "}";
  if (same || host_ifs) return fail(d + ": netlink changes would reach host interfaces");
  return pass(d);
}

}  // namespace

void add_group_w(std::vector<Probe>& out) {
  out.push_back({"W01", "egress-tcp", w01_egress_tcp});
  out.push_back({"W02", "egress-udp-dns", w02_egress_udp_dns});
  out.push_back({"W03", "icmp", w03_icmp});
  out.push_back({"W04", "metadata", w04_metadata});
  out.push_back({"W05", "vsock", w05_vsock});
  out.push_back({"W06", "netlink-host", w06_netlink_host});
}

}  // namespace probe
