// Every number a SandboxPolicy carries, checked against the one range table. Policies built in
// code (builder, SandboxPolicy values) pass here as well as policy files.
#include "core/policy_numbers.hpp"

#include <optional>
#include <string>
#include <vector>

#include "kavach/policy_ranges.hpp"

namespace kavach {
namespace {

Result<void> check_optional(const NumericRange& r, const std::optional<std::uint64_t>& v) {
  if (!v) return {};
  return check_range(r, *v);
}

template <class Port>
Result<void> check_entries(const NumericRange& r, const std::vector<Port>& ports) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string key = std::string(r.key) + "[" + std::to_string(i) + "]";
    if (auto c = check_range(r, ports[i], key); !c) return c;
  }
  return {};
}

}  // namespace

Result<void> validate_policy_numbers(const SandboxPolicy& p) {
  const ResourceLimits& l = p.limits;
  for (const auto& [range, value] : {std::pair{&ranges::memory, l.memory_bytes},
                                     std::pair{&ranges::swap, l.swap_bytes},
                                     std::pair{&ranges::pids, l.pids},
                                     std::pair{&ranges::open_files, l.open_files},
                                     std::pair{&ranges::file_size, l.file_size_bytes},
                                     std::pair{&ranges::address_space, l.address_space_bytes},
                                     std::pair{&ranges::cpu_time, l.cpu_time_seconds},
                                     std::pair{&ranges::nproc, l.nproc},
                                     std::pair{&ranges::output, std::optional(l.output_bytes)},
                                     std::pair{&ranges::tmpfs, std::optional(l.tmpfs_bytes)},
                                     std::pair{&ranges::disk, l.disk_bytes}}) {
    if (auto c = check_optional(*range, value); !c) return c;
  }
  if (l.cpu_cores) {
    if (auto c = check_real_range(ranges::cpu, *l.cpu_cores); !c) return c;
  }
  if (auto c = check_signed_range(ranges::wall_timeout, l.wall_timeout.count()); !c) return c;
  if (auto c = check_signed_range(ranges::min_abi, p.landlock.min_abi); !c) return c;
  if (auto c = check_entries(ranges::tcp_bind, p.landlock.tcp_bind); !c) return c;
  if (auto c = check_entries(ranges::tcp_connect, p.landlock.tcp_connect); !c) return c;
  std::vector<std::uint16_t> allow_ports;
  for (const HostPort& hp : p.network.allow) {
    if (hp.port) allow_ports.push_back(*hp.port);  // none: the entry's default ports, 80 and 443
  }
  if (auto c = check_entries(ranges::allow_port, allow_ports); !c) return c;
  if (auto c = check_range(ranges::uid, p.uid); !c) return c;
  return check_range(ranges::gid, p.gid);
}

}  // namespace kavach
