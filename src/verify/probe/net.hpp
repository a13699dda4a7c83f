// Socket helpers for the probes (connect attempts only to harness listeners or to check routes).
#pragma once

#include <string>
#include <vector>

namespace probe {

// TCP connect with timeout; 0 or -errno.
int tcp_connect(const std::string& ip, int port, int timeout_ms);
// UDP connect (route lookup only, nothing is sent); 0 or -errno.
int udp_connect(const std::string& ip, int port);
// Connect to an abstract unix socket (name without the leading NUL); 0 or -errno.
int abstract_connect(const std::string& name);
// Connect to a filesystem unix socket; 0 or -errno.
int unix_connect(const std::string& path);
// Asks an HTTP proxy at 127.0.0.1:proxy_port to CONNECT to `target`: its status line, or
// "ERR <errno name>" when nothing answers.
std::string proxy_connect(int proxy_port, const std::string& target);
// Names of the network interfaces we can see.
std::vector<std::string> interfaces();

}  // namespace probe
