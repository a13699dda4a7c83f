// The effective policy as TOML (what `kavach policy check` prints; parse_policy_toml reads it
// back) and as JSON with the same keys (`kavach policy check --json`).
#include <toml++/toml.h>

#include <sstream>

#include "kavach/json.hpp"
#include "kavach/network.hpp"
#include "kavach/policy.hpp"

namespace kavach {
namespace {

template <class Range>
toml::array to_array(const Range& items) {
  toml::array a;
  for (const auto& i : items) a.push_back(i);
  return a;
}

toml::array path_array(const std::vector<std::filesystem::path>& paths) {
  toml::array a;
  for (const auto& p : paths) a.push_back(p.string());
  return a;
}

toml::array access_words(unsigned access) {
  toml::array a;
  if ((access & kAccessRead) != 0) a.push_back("read");
  if ((access & kAccessWrite) != 0) a.push_back("write");
  if ((access & kAccessExec) != 0) a.push_back("exec");
  return a;
}

toml::table policy_table(const SandboxPolicy& p) {
  toml::table root;
  root.insert("name", p.name);
  root.insert("hostname", p.hostname);
  root.insert("uid", static_cast<std::int64_t>(p.uid));
  root.insert("gid", static_cast<std::int64_t>(p.gid));
  root.insert("env_allow", to_array(p.env_allow));
  root.insert("keep_capabilities", to_array(p.keep_capabilities));
  toml::array degrade;
  for (Control c : p.may_degrade) degrade.push_back(std::string(to_string(c)));
  root.insert("may_degrade", degrade);

  toml::table sec;
  sec.insert("mode", std::string(to_string(p.seccomp.mode)));
  sec.insert("custom_allow", to_array(p.seccomp.custom_allow));
  sec.insert("extra_allow", to_array(p.seccomp.extra_allow));
  sec.insert("extra_deny", to_array(p.seccomp.extra_deny));
  sec.insert("allow_memfd_exec", p.seccomp.allow_memfd_exec);
  root.insert("seccomp", sec);

  toml::table ll;
  ll.insert("enabled", p.landlock.enabled);
  ll.insert("min_abi", static_cast<std::int64_t>(p.landlock.min_abi));
  ll.insert("restrict_tcp", p.landlock.restrict_tcp);
  toml::array bind;
  for (auto port : p.landlock.tcp_bind) bind.push_back(static_cast<std::int64_t>(port));
  toml::array conn;
  for (auto port : p.landlock.tcp_connect) conn.push_back(static_cast<std::int64_t>(port));
  ll.insert("tcp_bind", bind);
  ll.insert("tcp_connect", conn);
  ll.insert("scope_signals", p.landlock.scope_signals);
  ll.insert("scope_abstract_unix", p.landlock.scope_abstract_unix);
  toml::array rules;
  for (const auto& r : p.landlock.paths) {
    rules.push_back(toml::table{{"path", r.path.string()}, {"access", access_words(r.access)}});
  }
  ll.insert("paths", rules);
  root.insert("landlock", ll);

  toml::table net;
  net.insert("mode", std::string(to_string(p.network.mode)));
  toml::array allow;
  for (const auto& hp : p.network.allow) allow.push_back(to_string(hp));
  net.insert("allow", allow);
  root.insert("network", net);

  toml::table lim;
  const auto& l = p.limits;
  auto put = [&lim](const char* key, const std::optional<std::uint64_t>& v) {
    if (v) lim.insert(key, static_cast<std::int64_t>(*v));
  };
  put("memory", l.memory_bytes);
  put("swap", l.swap_bytes);
  if (l.cpu_cores) lim.insert("cpu", *l.cpu_cores);
  put("pids", l.pids);
  put("open_files", l.open_files);
  put("file_size", l.file_size_bytes);
  put("address_space", l.address_space_bytes);
  put("cpu_time_seconds", l.cpu_time_seconds);
  put("nproc", l.nproc);
  put("disk_bytes", l.disk_bytes);
  lim.insert("wall_timeout_ms", static_cast<std::int64_t>(l.wall_timeout.count()));
  lim.insert("output_bytes", static_cast<std::int64_t>(l.output_bytes));
  lim.insert("tmpfs", static_cast<std::int64_t>(l.tmpfs_bytes));
  root.insert("limits", lim);

  toml::table fs;
  fs.insert("readonly_root", p.fs.readonly_root);
  fs.insert("readonly_paths", path_array(p.fs.readonly_paths));
  fs.insert("writable_paths", path_array(p.fs.writable_paths));
  fs.insert("protected_paths", path_array(p.fs.protected_paths));
  if (!p.fs.workdir.empty()) fs.insert("workdir", p.fs.workdir.string());
  root.insert("fs", fs);

  toml::table oci;
  oci.insert("runtime", p.oci.runtime);
  oci.insert("allow_runtime_fallback", p.oci.allow_runtime_fallback);
  if (!p.oci.rootfs.empty()) oci.insert("rootfs", p.oci.rootfs.string());
  if (!p.oci.image.empty()) oci.insert("image", p.oci.image.string());
  oci.insert("image_tag", p.oci.image_tag);
  oci.insert("gvisor_platform", p.oci.gvisor_platform);
  root.insert("oci", oci);
  return root;
}

}  // namespace

std::string policy_to_toml(const SandboxPolicy& p) {
  std::ostringstream out;
  out << toml::toml_formatter(policy_table(p)) << "\n";
  return out.str();
}

nlohmann::json to_json(const SandboxPolicy& p) {
  // One table, two spellings: the JSON cannot drift from the TOML a policy file uses.
  std::ostringstream out;
  out << toml::json_formatter(policy_table(p));
  // No exceptions: a policy that fails validate_policy (a nan cpu) yields a discarded value.
  return nlohmann::json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace kavach
