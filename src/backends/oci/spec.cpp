#include "backends/oci/spec.hpp"

#include "core/capability_names.hpp"
#include "core/sandbox_environment.hpp"
#include "kavach/network.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string_view>

namespace kavach::oci {
namespace {

using nlohmann::json;

const std::set<std::string> kNamespaceTypes = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"};

json id_map_json(const IdMapping& m) {
  return json::array({{{"containerID", m.container_id}, {"hostID", m.host_id}, {"size", m.size}}});
}

Result<void> bad(const std::string& field, const std::string& what) {
  return fail(ErrorCode::internal, "config.json: " + field + ": " + what, {{"field", field}});
}

bool is_uint(const json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j.get<long long>() >= 0); }

}  // namespace

Result<std::vector<std::string>> capability_set(const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& given : keep) {
    // Same spelling rules as the process backend: "net_bind_service" is CAP_NET_BIND_SERVICE.
    const std::string name = canonical_capability_name(given);
    if (!capability_number(name)) {
      return fail(ErrorCode::invalid_argument,
                  "keep_capabilities: unknown capability '" + given + "' (expected e.g. CAP_NET_BIND_SERVICE)",
                  {{"capability", given}});
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

json rlimits_json(const ResourceLimits& l) {
  json out = json::array();
  auto add = [&out](const char* type, std::uint64_t v) {
    out.push_back({{"type", type}, {"soft", v}, {"hard", v}});
  };
  add("RLIMIT_CORE", 0);
  if (l.open_files) add("RLIMIT_NOFILE", *l.open_files);
  if (l.file_size_bytes) add("RLIMIT_FSIZE", *l.file_size_bytes);
  if (l.address_space_bytes) add("RLIMIT_AS", *l.address_space_bytes);
  if (l.cpu_time_seconds) add("RLIMIT_CPU", *l.cpu_time_seconds);
  if (l.nproc) add("RLIMIT_NPROC", *l.nproc);
  return out;
}

json resources_json(const ResourceLimits& l, std::uint64_t extra_pids) {
  json r = json::object();
  if (l.memory_bytes) {
    json mem = {{"limit", *l.memory_bytes}};
    // OCI's swap is the memory+swap total (cgroup v1 memsw semantics; runc converts for v2).
    if (l.swap_bytes) mem["swap"] = *l.memory_bytes + *l.swap_bytes;
    r["memory"] = mem;
  }
  if (l.cpu_cores) {
    constexpr std::uint64_t period = 100'000;
    const auto quota = static_cast<std::int64_t>(std::llround(*l.cpu_cores * static_cast<double>(period)));
    r["cpu"] = {{"quota", std::max<std::int64_t>(quota, 1000)}, {"period", period}};
  }
  if (l.pids) r["pids"] = {{"limit", static_cast<std::int64_t>(*l.pids + extra_pids)}};
  // Devices: nothing but what the runtime itself creates (null, zero, full, tty, random, urandom).
  r["devices"] = json::array({{{"allow", false}, {"access", "rwm"}}});
  return r;
}

Result<std::vector<std::string>> container_env(
    const SandboxPolicy& policy, const std::vector<std::pair<std::string, std::string>>& cmd_env) {
  auto env = sandbox_environment(policy, cmd_env);
  if (!env) return tl::unexpected(env.error());
  std::vector<std::string> out;
  out.reserve(env->size());
  for (const auto& [k, v] : *env) out.push_back(k + "=" + v);
  return out;
}

json build_spec(const SpecInput& in) {
  json caps = in.capabilities;
  json process = {
      {"terminal", false},
      {"user", {{"uid", in.uid}, {"gid", in.gid}}},
      {"args", in.args},
      {"env", in.env},
      {"cwd", in.cwd},
      {"capabilities",
       {{"bounding", caps}, {"effective", caps}, {"inheritable", caps}, {"permitted", caps}, {"ambient", caps}}},
      {"rlimits", in.rlimits},
      {"noNewPrivileges", true},
  };
  json mounts = json::array();
  for (const auto& m : in.mounts) {
    json j = {{"destination", m.destination}, {"type", m.type}, {"source", m.source}};
    if (!m.options.empty()) j["options"] = m.options;
    mounts.push_back(std::move(j));
  }
  json namespaces = json::array();
  for (const char* t : {"pid", "ipc", "uts", "mount", "cgroup"}) namespaces.push_back({{"type", t}});
  if (in.network_namespace && !in.network_namespace_path.empty()) {
    namespaces.push_back({{"type", "network"}, {"path", in.network_namespace_path}});
  } else if (in.network_namespace) {
    namespaces.push_back({{"type", "network"}});
  }
  json linux = {
      {"namespaces", namespaces},
      {"maskedPaths", in.masked_paths},
      {"readonlyPaths", in.readonly_paths},
      {"resources", in.resources},
  };
  if (in.id_mapping) {
    linux["namespaces"].push_back({{"type", "user"}});
    linux["uidMappings"] = id_map_json(*in.id_mapping);
    linux["gidMappings"] = id_map_json(*in.id_mapping);
  }
  if (!in.cgroups_path.empty()) linux["cgroupsPath"] = in.cgroups_path;
  if (!in.seccomp.is_null()) linux["seccomp"] = in.seccomp;
  json spec = {
      {"ociVersion", kOciVersion},
      {"process", process},
      {"root", {{"path", in.root_path}, {"readonly", in.readonly_root}}},
      {"hostname", in.hostname},
      {"mounts", mounts},
      {"linux", linux},
  };
  if (!in.annotations.empty()) spec["annotations"] = in.annotations;
  return spec;
}

Result<void> check_spec(const json& s) {
  if (!s.is_object()) return bad("<root>", "not an object");
  if (!s.contains("ociVersion") || !s["ociVersion"].is_string() || s["ociVersion"].get<std::string>().empty()) {
    return bad("ociVersion", "required string");
  }
  if (!s.contains("root") || !s["root"].is_object() || !s["root"].contains("path") ||
      !s["root"]["path"].is_string() || s["root"]["path"].get<std::string>().empty()) {
    return bad("root.path", "required non-empty string");
  }
  if (s["root"].contains("readonly") && !s["root"]["readonly"].is_boolean()) return bad("root.readonly", "boolean");
  if (!s.contains("process") || !s["process"].is_object()) return bad("process", "required object");
  const json& p = s["process"];
  if (!p.contains("args") || !p["args"].is_array() || p["args"].empty()) return bad("process.args", "non-empty array");
  for (const auto& a : p["args"]) {
    if (!a.is_string()) return bad("process.args", "strings only");
  }
  if (!p.contains("cwd") || !p["cwd"].is_string() || p["cwd"].get<std::string>().empty() ||
      p["cwd"].get<std::string>().front() != '/') {
    return bad("process.cwd", "required absolute path");
  }
  if (!p.contains("user") || !p["user"].is_object() || !p["user"].contains("uid") ||
      !p["user"].contains("gid") || !is_uint(p["user"]["uid"]) || !is_uint(p["user"]["gid"])) {
    return bad("process.user", "uid and gid required (unsigned integers)");
  }
  if (p.contains("env")) {
    for (const auto& e : p["env"]) {
      if (!e.is_string() || e.get<std::string>().find('=') == std::string::npos) return bad("process.env", "NAME=value strings");
    }
  }
  if (p.contains("capabilities")) {
    for (auto it = p["capabilities"].begin(); it != p["capabilities"].end(); ++it) {
      static const std::set<std::string> sets = {"bounding", "effective", "inheritable", "permitted", "ambient"};
      if (sets.count(it.key()) == 0 || !it.value().is_array()) return bad("process.capabilities." + it.key(), "unknown set or not an array");
    }
  }
  if (p.contains("rlimits")) {
    for (const auto& r : p["rlimits"]) {
      if (!r.contains("type") || !r["type"].is_string() || r["type"].get<std::string>().rfind("RLIMIT_", 0) != 0 ||
          !r.contains("soft") || !r.contains("hard") || !is_uint(r["soft"]) || !is_uint(r["hard"])) {
        return bad("process.rlimits", "entries need type RLIMIT_*, soft and hard");
      }
    }
  }
  if (s.contains("mounts")) {
    if (!s["mounts"].is_array()) return bad("mounts", "array");
    for (const auto& m : s["mounts"]) {
      if (!m.contains("destination") || !m["destination"].is_string() ||
          m["destination"].get<std::string>().empty() || m["destination"].get<std::string>().front() != '/') {
        return bad("mounts[].destination", "required absolute path");
      }
      if (m.contains("options") && !m["options"].is_array()) return bad("mounts[].options", "array of strings");
    }
  }
  if (!s.contains("linux") || !s["linux"].is_object()) return bad("linux", "required on Linux");
  const json& l = s["linux"];
  if (l.contains("namespaces")) {
    std::set<std::string> seen;
    for (const auto& n : l["namespaces"]) {
      if (!n.contains("type") || !n["type"].is_string() || kNamespaceTypes.count(n["type"].get<std::string>()) == 0) {
        return bad("linux.namespaces[].type", "one of pid, network, mount, ipc, uts, user, cgroup");
      }
      if (!seen.insert(n["type"].get<std::string>()).second) return bad("linux.namespaces", "duplicate type");
    }
  }
  for (const char* key : {"uidMappings", "gidMappings"}) {
    if (!l.contains(key)) continue;
    for (const auto& m : l[key]) {
      if (!m.contains("containerID") || !m.contains("hostID") || !m.contains("size") ||
          !is_uint(m["containerID"]) || !is_uint(m["hostID"]) || !is_uint(m["size"])) {
        return bad(std::string("linux.") + key, "containerID, hostID and size required");
      }
    }
  }
  if (l.contains("seccomp")) {
    const json& sc = l["seccomp"];
    if (!sc.contains("defaultAction") || !sc["defaultAction"].is_string()) return bad("linux.seccomp.defaultAction", "required string");
    if (sc.contains("syscalls")) {
      for (const auto& e : sc["syscalls"]) {
        if (!e.contains("names") || !e["names"].is_array() || e["names"].empty() || !e.contains("action") ||
            !e["action"].is_string()) {
          return bad("linux.seccomp.syscalls[]", "names (non-empty) and action required");
        }
        if (e.contains("args")) {
          for (const auto& a : e["args"]) {
            if (!a.contains("index") || !a.contains("value") || !a.contains("op")) {
              return bad("linux.seccomp.syscalls[].args[]", "index, value and op required");
            }
          }
        }
      }
    }
  }
  return {};
}

}  // namespace kavach::oci
