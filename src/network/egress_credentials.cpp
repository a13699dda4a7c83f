#include "network/egress_credentials.hpp"

#include <string.h>

#include <fstream>
#include <set>
#include <sstream>

#include "kavach/network.hpp"

namespace kavach::network {

Result<EgressOptions> prepare_egress(const SandboxPolicy& policy, Command& cmd) {
  EgressOptions o;
  if (cmd.egress_swaps.empty()) return o;
  if (policy.network.mode != NetworkMode::allowlist) {
    return fail(ErrorCode::invalid_argument,
                "credential placeholders go through the egress proxy: they need network mode allowlist (--allow HOST)",
                {{"secret", cmd.egress_swaps.front().name}});
  }
  const EgressRules rules(policy.network.allow);
  std::set<std::string> hosts;
  for (const EgressSwap& s : cmd.egress_swaps) {
    const RuleMatch m = rules.match(s.host, s.port);
    if (!m.allowed) {
      return fail(ErrorCode::invalid_argument,
                  "credential " + s.name + " is for " + s.host + ":" + std::to_string(s.port) +
                      ", which network.allow does not list (" + m.reason + ")",
                  {{"secret", s.name}, {"host", s.host}});
    }
    hosts.insert(s.host);
    o.credentials.push_back({s.host, s.port, HeaderSwap{s.name, s.header, s.placeholder, s.value}});
  }
  auto ca = InterceptionCa::generate(std::vector<std::string>(hosts.begin(), hosts.end()));
  if (!ca) return tl::unexpected(ca.error());
  o.ca = *ca;
  o.upstream_ca_pem = cmd.egress_upstream_ca_pem;
  // The bundle: the system's CAs (tunnels to other hosts are verified against them as usual)
  // and the run's CA.
  std::string bundle;
  if (std::ifstream sys("/etc/ssl/certs/ca-certificates.crt"); sys) {
    std::ostringstream ss;
    ss << sys.rdbuf();
    bundle = ss.str();
    if (!bundle.empty() && bundle.back() != '\n') bundle += '\n';
  }
  bundle += o.ca->cert_pem();
  cmd.files.push_back(InjectedFile{std::string(kEgressCaBundlePath), std::move(bundle), 0444});
  for (const char* var : kEgressCaVariables) cmd.env.emplace_back(var, std::string(kEgressCaBundlePath));
  return o;
}

Result<EgressRun> EgressRun::prepare(const SandboxPolicy& policy, const Command& cmd) {
  EgressRun run(cmd);
  if (cmd.egress_swaps.empty()) return run;
  run.copy_ = std::make_unique<Command>(cmd);
  auto o = prepare_egress(policy, *run.copy_);
  if (!o) return tl::unexpected(o.error());  // ~EgressRun wipes the copy
  run.options_ = std::make_shared<EgressOptions>(std::move(*o));
  return run;
}

EgressRun::~EgressRun() {
  if (copy_) {
    for (EgressSwap& s : copy_->egress_swaps) ::explicit_bzero(s.value.data(), s.value.size());
  }
  if (options_) {  // the run is over: nobody swaps any more
    for (auto& c : options_->credentials) ::explicit_bzero(c.swap.value.data(), c.swap.value.size());
  }
}

}  // namespace kavach::network
