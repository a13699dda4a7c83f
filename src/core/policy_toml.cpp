// Policy files in TOML. Every error names file:line and the key path; unknown keys are errors.
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "kavach/network.hpp"
#include "kavach/policy.hpp"
#include "kavach/policy_ranges.hpp"
#include "kavach/syscalls.hpp"

namespace kavach {
namespace {

class PolicyReader {
 public:
  explicit PolicyReader(std::string origin) : origin_(std::move(origin)) {}

  Error error(ErrorCode code, const toml::node& at, const std::string& key, const std::string& msg) const {
    const auto line = at.source().begin.line;
    return make_error(code, origin_ + ":" + std::to_string(line) + ": " + key + ": " + msg,
                      {{"file", origin_}, {"line", std::to_string(line)}, {"key", key}});
  }

  // Unknown keys in `table` (at path `prefix`) are errors.
  Result<void> only_keys(const toml::table& table, const std::string& prefix,
                         const std::set<std::string_view>& known) const {
    for (auto&& [k, v] : table) {
      if (known.count(k.str()) == 0) {
        std::string valid;
        for (auto n : known) valid += (valid.empty() ? "" : ", ") + std::string(n);
        const std::string full = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        return tl::unexpected(error(ErrorCode::policy_unknown_key, v, full,
                                    "unknown key; valid keys here: " + valid));
      }
    }
    return {};
  }

  Result<std::string> str(const toml::node& n, const std::string& key) const {
    if (auto v = n.value<std::string>(); v && n.is_string()) return *v;
    return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected a string, got " + type_name(n)));
  }

  Result<bool> boolean(const toml::node& n, const std::string& key) const {
    if (n.is_boolean()) return *n.value<bool>();
    return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected true or false, got " + type_name(n)));
  }

  // A range error from the shared table, placed at `at` in this file.
  Error located(const toml::node& at, Error e) const {
    const auto line = std::to_string(at.source().begin.line);
    e.message = origin_ + ":" + line + ": " + e.message;
    e.context["file"] = origin_;
    e.context["line"] = line;
    return e;
  }

  // A whole number within `range` (checked as written, before it is narrowed to the field).
  Result<std::uint64_t> whole(const toml::node& n, const std::string& key, const NumericRange& range) const {
    if (!n.is_integer()) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an integer, got " + type_name(n)));
    }
    const auto v = *n.value<std::int64_t>();
    if (auto c = check_signed_range(range, v, key); !c) return tl::unexpected(located(n, c.error()));
    return static_cast<std::uint64_t>(v);
  }

  // A finite number within `range` (TOML also spells nan and inf).
  Result<double> real(const toml::node& n, const std::string& key, const NumericRange& range) const {
    double v = 0;
    if (n.is_integer()) v = static_cast<double>(*n.value<std::int64_t>());
    else if (n.is_floating_point()) v = *n.value<double>();
    else return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected a number, got " + type_name(n)));
    if (auto c = check_real_range(range, v, key); !c) return tl::unexpected(located(n, c.error()));
    return v;
  }

  // Byte sizes within `range`: an integer, or a string like "512M", "64MiB", "1G", "4096".
  Result<std::uint64_t> bytes(const toml::node& n, const std::string& key, const NumericRange& range) const {
    if (n.is_integer()) return whole(n, key, range);
    if (!n.is_string()) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key,
                                  "expected a size (integer bytes or a string like \"64M\"), got " + type_name(n)));
    }
    const std::string s = *n.value<std::string>();
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    std::string unit(ptr, s.data() + s.size());
    std::uint64_t mult = 0;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "K" || unit == "KiB" || unit == "k") mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB") mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB") mult = 1ull << 30;
    const bool too_large = ec == std::errc::result_out_of_range || (mult != 0 && value > UINT64_MAX / mult);
    if (ptr == s.data() || mult == 0 || (ec != std::errc() && !too_large)) {
      return tl::unexpected(error(ErrorCode::policy_value, n, key,
                                  "invalid size \"" + s + "\" (use bytes or a suffix K, M, G)"));
    }
    // Out of range as written ("1048577G"), not as a byte count that may have wrapped.
    if (too_large || !check_range(range, value * mult)) {
      return tl::unexpected(located(n, out_of_range_error(range, key, s)));
    }
    return value * mult;
  }

  Result<std::vector<std::string>> strings(const toml::node& n, const std::string& key) const {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an array of strings, got " + type_name(n)));
    }
    std::vector<std::string> out;
    std::size_t i = 0;
    for (const auto& el : *arr) {
      auto s = str(el, key + "[" + std::to_string(i++) + "]");
      if (!s) return tl::unexpected(s.error());
      out.push_back(*s);
    }
    return out;
  }

  Result<std::vector<std::filesystem::path>> abs_paths(const toml::node& n, const std::string& key) const {
    auto list = strings(n, key);
    if (!list) return tl::unexpected(list.error());
    std::vector<std::filesystem::path> out;
    const toml::array& arr = *n.as_array();
    for (std::size_t i = 0; i < list->size(); ++i) {
      std::filesystem::path p((*list)[i]);
      if (!p.is_absolute()) {
        return tl::unexpected(error(ErrorCode::path_not_absolute, *arr.get(i),
                                    key + "[" + std::to_string(i) + "]",
                                    "path '" + p.string() + "' must be absolute"));
      }
      out.push_back(p.lexically_normal());
    }
    return out;
  }

  Result<std::vector<std::uint16_t>> ports(const toml::node& n, const std::string& key,
                                           const NumericRange& range) const {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) {
      return tl::unexpected(error(ErrorCode::policy_type, n, key, "expected an array of ports, got " + type_name(n)));
    }
    std::vector<std::uint16_t> out;
    std::size_t i = 0;
    for (const auto& el : *arr) {
      auto v = whole(el, key + "[" + std::to_string(i++) + "]", range);
      if (!v) return tl::unexpected(v.error());
      out.push_back(static_cast<std::uint16_t>(*v));
    }
    return out;
  }

  Result<void> syscall_names(const toml::node& n, const std::string& key,
                             std::vector<std::string>& out) const {
    auto list = strings(n, key);
    if (!list) return tl::unexpected(list.error());
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!is_known_syscall((*list)[i])) {
        return tl::unexpected(error(ErrorCode::unknown_syscall, *n.as_array()->get(i),
                                    key + "[" + std::to_string(i) + "]",
                                    "unknown syscall name '" + (*list)[i] + "'"));
      }
    }
    out = std::move(*list);
    return {};
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::string: return "a string";
      case toml::node_type::integer: return "an integer";
      case toml::node_type::floating_point: return "a float";
      case toml::node_type::boolean: return "a boolean";
      case toml::node_type::array: return "an array";
      case toml::node_type::table: return "a table";
      default: return "a date/time";
    }
  }

  const toml::table* table(const toml::node& n, const std::string& key, Error& err) const {
    const toml::table* t = n.as_table();
    if (t == nullptr) err = error(ErrorCode::policy_type, n, key, "expected a table, got " + type_name(n));
    return t;
  }

 private:
  std::string origin_;
};

#define KV_TRY(expr)                                  \
  do {                                                \
    if (auto kv_r = (expr); !kv_r) return tl::unexpected(kv_r.error()); \
  } while (0)

#define KV_ASSIGN(lhs, expr)                          \
  do {                                                \
    auto kv_r = (expr);                               \
    if (!kv_r) return tl::unexpected(kv_r.error());   \
    (lhs) = std::move(*kv_r);                         \
  } while (0)

Result<void> read_seccomp(const PolicyReader& r, const toml::table& t, SeccompPolicy& s) {
  KV_TRY(r.only_keys(t, "seccomp", {"mode", "custom_allow", "extra_allow", "extra_deny", "allow_memfd_exec"}));
  for (auto&& [k, v] : t) {
    const std::string key = "seccomp." + std::string(k.str());
    if (k == "mode") {
      std::string m;
      KV_ASSIGN(m, r.str(v, key));
      if (m == "none") s.mode = SeccompMode::none;
      else if (m == "basic") s.mode = SeccompMode::basic;
      else if (m == "strict") s.mode = SeccompMode::strict;
      else if (m == "custom") s.mode = SeccompMode::custom;
      else return tl::unexpected(r.error(ErrorCode::policy_value, v, key,
                                         "unknown mode '" + m + "'; valid: none, basic, strict, custom"));
    } else if (k == "custom_allow") {
      KV_TRY(r.syscall_names(v, key, s.custom_allow));
    } else if (k == "extra_allow") {
      KV_TRY(r.syscall_names(v, key, s.extra_allow));
    } else if (k == "extra_deny") {
      KV_TRY(r.syscall_names(v, key, s.extra_deny));
    } else if (k == "allow_memfd_exec") {
      KV_ASSIGN(s.allow_memfd_exec, r.boolean(v, key));
    }
  }
  return {};
}

Result<unsigned> read_access(const PolicyReader& r, const toml::node& n, const std::string& key) {
  std::vector<std::string> words;
  KV_ASSIGN(words, r.strings(n, key));
  unsigned access = 0;
  for (const auto& w : words) {
    if (w == "read") access |= kAccessRead;
    else if (w == "write") access |= kAccessWrite;
    else if (w == "exec") access |= kAccessExec;
    else return tl::unexpected(r.error(ErrorCode::policy_value, n, key,
                                       "unknown access '" + w + "'; valid: read, write, exec"));
  }
  if (access == 0) return tl::unexpected(r.error(ErrorCode::policy_value, n, key, "access list is empty"));
  return access;
}

Result<void> read_landlock(const PolicyReader& r, const toml::table& t, LandlockPolicy& l) {
  KV_TRY(r.only_keys(t, "landlock", {"enabled", "paths", "restrict_tcp", "tcp_bind", "tcp_connect",
                                     "scope_signals", "scope_abstract_unix", "min_abi"}));
  for (auto&& [k, v] : t) {
    const std::string key = "landlock." + std::string(k.str());
    if (k == "enabled") KV_ASSIGN(l.enabled, r.boolean(v, key));
    else if (k == "restrict_tcp") KV_ASSIGN(l.restrict_tcp, r.boolean(v, key));
    else if (k == "scope_signals") KV_ASSIGN(l.scope_signals, r.boolean(v, key));
    else if (k == "scope_abstract_unix") KV_ASSIGN(l.scope_abstract_unix, r.boolean(v, key));
    else if (k == "tcp_bind") KV_ASSIGN(l.tcp_bind, r.ports(v, key, ranges::tcp_bind));
    else if (k == "tcp_connect") KV_ASSIGN(l.tcp_connect, r.ports(v, key, ranges::tcp_connect));
    else if (k == "min_abi") {
      std::uint64_t abi = 0;
      KV_ASSIGN(abi, r.whole(v, key, ranges::min_abi));
      l.min_abi = static_cast<int>(abi);
    } else if (k == "paths") {
      const toml::array* arr = v.as_array();
      if (arr == nullptr) {
        return tl::unexpected(r.error(ErrorCode::policy_type, v, key,
                                      "expected an array of tables ([[landlock.paths]])"));
      }
      l.paths.clear();
      std::size_t i = 0;
      for (const auto& el : *arr) {
        const std::string ekey = key + "[" + std::to_string(i++) + "]";
        Error err;
        const toml::table* et = r.table(el, ekey, err);
        if (et == nullptr) return tl::unexpected(err);
        KV_TRY(r.only_keys(*et, ekey, {"path", "access"}));
        PathRule rule;
        const toml::node* pn = et->get("path");
        const toml::node* an = et->get("access");
        if (pn == nullptr || an == nullptr) {
          return tl::unexpected(r.error(ErrorCode::policy_value, el, ekey, "needs both 'path' and 'access'"));
        }
        std::string path;
        KV_ASSIGN(path, r.str(*pn, ekey + ".path"));
        rule.path = path;
        if (!rule.path.is_absolute()) {
          return tl::unexpected(r.error(ErrorCode::path_not_absolute, *pn, ekey + ".path",
                                        "path '" + path + "' must be absolute"));
        }
        KV_ASSIGN(rule.access, read_access(r, *an, ekey + ".access"));
        l.paths.push_back(rule);
      }
    }
  }
  return {};
}

Result<void> read_network(const PolicyReader& r, const toml::table& t, NetworkPolicy& n) {
  KV_TRY(r.only_keys(t, "network", {"mode", "allow"}));
  for (auto&& [k, v] : t) {
    const std::string key = "network." + std::string(k.str());
    if (k == "mode") {
      std::string m;
      KV_ASSIGN(m, r.str(v, key));
      auto mode = parse_network_mode(m);
      if (!mode) return tl::unexpected(r.error(ErrorCode::policy_value, v, key, mode.error().message));
      n.mode = *mode;
    } else if (k == "allow") {
      std::vector<std::string> entries;
      KV_ASSIGN(entries, r.strings(v, key));
      n.allow.clear();
      const toml::array& arr = *v.as_array();
      for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string ekey = key + "[" + std::to_string(i) + "]";
        auto entry = parse_allow_entry(entries[i]);
        if (!entry && entry.error().context.count("port") != 0) {  // a port outside the range table's
          return tl::unexpected(r.located(*arr.get(i), out_of_range_error(ranges::allow_port, ekey,
                                                                          entry.error().context.at("port"))));
        }
        if (!entry) return tl::unexpected(r.error(ErrorCode::policy_value, *arr.get(i), ekey, entry.error().message));
        n.allow.push_back(std::move(*entry));
      }
    }
  }
  return {};
}

Result<void> read_limits(const PolicyReader& r, const toml::table& t, ResourceLimits& l) {
  KV_TRY(r.only_keys(t, "limits", {"memory", "swap", "cpu", "pids", "open_files", "file_size",
                                   "address_space", "cpu_time_seconds", "nproc", "wall_timeout_ms",
                                   "output_bytes", "tmpfs", "disk_bytes"}));
  for (auto&& [k, v] : t) {
    const std::string key = "limits." + std::string(k.str());
    if (k == "memory") KV_ASSIGN(l.memory_bytes, r.bytes(v, key, ranges::memory));
    else if (k == "swap") KV_ASSIGN(l.swap_bytes, r.bytes(v, key, ranges::swap));
    else if (k == "file_size") KV_ASSIGN(l.file_size_bytes, r.bytes(v, key, ranges::file_size));
    else if (k == "address_space") KV_ASSIGN(l.address_space_bytes, r.bytes(v, key, ranges::address_space));
    else if (k == "output_bytes") KV_ASSIGN(l.output_bytes, r.bytes(v, key, ranges::output));
    else if (k == "tmpfs") KV_ASSIGN(l.tmpfs_bytes, r.bytes(v, key, ranges::tmpfs));
    else if (k == "disk_bytes") KV_ASSIGN(l.disk_bytes, r.bytes(v, key, ranges::disk));
    else if (k == "cpu") KV_ASSIGN(l.cpu_cores, r.real(v, key, ranges::cpu));
    else if (k == "pids") KV_ASSIGN(l.pids, r.whole(v, key, ranges::pids));
    else if (k == "open_files") KV_ASSIGN(l.open_files, r.whole(v, key, ranges::open_files));
    else if (k == "cpu_time_seconds") KV_ASSIGN(l.cpu_time_seconds, r.whole(v, key, ranges::cpu_time));
    else if (k == "nproc") KV_ASSIGN(l.nproc, r.whole(v, key, ranges::nproc));
    else if (k == "wall_timeout_ms") {
      std::uint64_t ms = 0;
      KV_ASSIGN(ms, r.whole(v, key, ranges::wall_timeout));
      l.wall_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
    }
  }
  return {};
}

// `list` replaces what the preset set; `list_add` extends it. Both in one table contradict.
Result<void> refuse_replace_and_add(const PolicyReader& r, const toml::table& t, const std::string& prefix,
                                    const std::string& list) {
  const toml::node* add = t.get(list + "_add");
  if (add == nullptr || !t.contains(list)) return {};
  return tl::unexpected(r.error(ErrorCode::policy_conflict, *add, prefix + list + "_add",
                                "'" + list + "' replaces the preset's list and '" + list +
                                    "_add' extends it: set one of them"));
}

template <class T>
void append_unique(std::vector<T>& to, const std::vector<T>& more) {
  for (const auto& m : more) {
    if (std::find(to.begin(), to.end(), m) == to.end()) to.push_back(m);
  }
}

Result<void> read_fs(const PolicyReader& r, const toml::table& t, FilesystemPolicy& f) {
  KV_TRY(r.only_keys(t, "fs", {"readonly_root", "readonly_paths", "writable_paths", "protected_paths", "workdir",
                               "readonly_paths_add", "writable_paths_add", "protected_paths_add"}));
  for (const char* list : {"readonly_paths", "writable_paths", "protected_paths"}) {
    KV_TRY(refuse_replace_and_add(r, t, "fs.", list));
  }
  std::vector<std::filesystem::path> more;
  for (auto&& [k, v] : t) {
    const std::string key = "fs." + std::string(k.str());
    if (k == "readonly_root") KV_ASSIGN(f.readonly_root, r.boolean(v, key));
    else if (k == "readonly_paths") KV_ASSIGN(f.readonly_paths, r.abs_paths(v, key));
    else if (k == "writable_paths") KV_ASSIGN(f.writable_paths, r.abs_paths(v, key));
    else if (k == "readonly_paths_add" || k == "writable_paths_add") {
      KV_ASSIGN(more, r.abs_paths(v, key));
      append_unique(k == "readonly_paths_add" ? f.readonly_paths : f.writable_paths, more);
    } else if (k == "protected_paths_add") {
      std::vector<std::string> list;
      KV_ASSIGN(list, r.strings(v, key));
      append_unique(f.protected_paths, std::vector<std::filesystem::path>(list.begin(), list.end()));
    }
    else if (k == "workdir") {
      std::string w;
      KV_ASSIGN(w, r.str(v, key));
      f.workdir = w;
      if (!f.workdir.is_absolute()) {
        return tl::unexpected(r.error(ErrorCode::path_not_absolute, v, key, "path '" + w + "' must be absolute"));
      }
    } else if (k == "protected_paths") {
      std::vector<std::string> list;
      KV_ASSIGN(list, r.strings(v, key));
      f.protected_paths.assign(list.begin(), list.end());  // relative = inside each writable path
    }
  }
  return {};
}

Result<void> read_oci(const PolicyReader& r, const toml::table& t, OciPolicy& o) {
  KV_TRY(r.only_keys(t, "oci", {"runtime", "allow_runtime_fallback", "rootfs", "image", "image_tag",
                                "gvisor_platform"}));
  auto abs_path = [&r](const toml::node& v, const std::string& key,
                       std::filesystem::path& out) -> Result<void> {
    std::string s;
    KV_ASSIGN(s, r.str(v, key));
    out = s;
    if (!out.is_absolute()) {
      return tl::unexpected(r.error(ErrorCode::path_not_absolute, v, key, "path '" + s + "' must be absolute"));
    }
    out = out.lexically_normal();
    return {};
  };
  for (auto&& [k, v] : t) {
    const std::string key = "oci." + std::string(k.str());
    if (k == "runtime") {
      KV_ASSIGN(o.runtime, r.str(v, key));
      if (o.runtime != "" && o.runtime != "crun" && o.runtime != "runc" && o.runtime != "runsc") {
        return tl::unexpected(r.error(ErrorCode::policy_value, v, key,
                                      "unknown runtime '" + o.runtime + "'; valid: crun, runc, runsc"));
      }
    } else if (k == "allow_runtime_fallback") KV_ASSIGN(o.allow_runtime_fallback, r.boolean(v, key));
    else if (k == "rootfs") KV_TRY(abs_path(v, key, o.rootfs));
    else if (k == "image") KV_TRY(abs_path(v, key, o.image));
    else if (k == "image_tag") KV_ASSIGN(o.image_tag, r.str(v, key));
    else if (k == "gvisor_platform") {
      KV_ASSIGN(o.gvisor_platform, r.str(v, key));
      if (o.gvisor_platform != "auto" && o.gvisor_platform != "ptrace" && o.gvisor_platform != "kvm") {
        return tl::unexpected(r.error(ErrorCode::policy_value, v, key,
                                      "unknown gVisor platform '" + o.gvisor_platform +
                                          "'; valid: auto, ptrace, kvm"));
      }
    }
  }
  return {};
}

Result<SandboxPolicy> read_policy(const PolicyReader& r, const toml::table& root) {
  KV_TRY(r.only_keys(root, "", {"extends", "name", "hostname", "uid", "gid", "env_allow", "env_allow_add",
                                "keep_capabilities", "may_degrade", "seccomp", "landlock",
                                "network", "limits", "fs", "oci"}));
  KV_TRY(refuse_replace_and_add(r, root, "", "env_allow"));
  // Without `extends`: strict's filters and fs view, but no resource limits (a limit is only set
  // when the file says so — this is also what makes emitted policies round-trip).
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits = ResourceLimits{};
  p.name = "custom";
  if (const toml::node* ext = root.get("extends")) {
    std::string name;
    KV_ASSIGN(name, r.str(*ext, "extends"));
    auto preset = parse_preset(name);
    if (!preset) {
      return tl::unexpected(r.error(ErrorCode::unknown_preset, *ext, "extends", preset.error().message));
    }
    p = preset_policy(*preset);
    p.name = name + "+file";
  }
  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    Error err;
    if (key == "extends") continue;
    if (key == "name") KV_ASSIGN(p.name, r.str(v, key));
    else if (key == "hostname") KV_ASSIGN(p.hostname, r.str(v, key));
    else if (key == "uid" || key == "gid") {
      std::uint64_t id = 0;
      KV_ASSIGN(id, r.whole(v, key, key == "uid" ? ranges::uid : ranges::gid));
      (key == "uid" ? p.uid : p.gid) = static_cast<std::uint32_t>(id);
    } else if (key == "env_allow") KV_ASSIGN(p.env_allow, r.strings(v, key));
    else if (key == "env_allow_add") {
      std::vector<std::string> more;
      KV_ASSIGN(more, r.strings(v, key));
      append_unique(p.env_allow, more);
    }
    else if (key == "keep_capabilities") KV_ASSIGN(p.keep_capabilities, r.strings(v, key));
    else if (key == "may_degrade") {
      std::vector<std::string> names;
      KV_ASSIGN(names, r.strings(v, key));
      p.may_degrade.clear();
      for (const auto& n : names) {
        auto c = parse_control(n);
        if (!c) return tl::unexpected(r.error(ErrorCode::policy_value, v, key, c.error().message));
        p.may_degrade.insert(*c);
      }
    } else {
      const toml::table* t = r.table(v, key, err);
      if (t == nullptr) return tl::unexpected(err);
      if (key == "seccomp") KV_TRY(read_seccomp(r, *t, p.seccomp));
      else if (key == "landlock") KV_TRY(read_landlock(r, *t, p.landlock));
      else if (key == "network") KV_TRY(read_network(r, *t, p.network));
      else if (key == "limits") KV_TRY(read_limits(r, *t, p.limits));
      else if (key == "fs") KV_TRY(read_fs(r, *t, p.fs));
      else if (key == "oci") KV_TRY(read_oci(r, *t, p.oci));
    }
  }
  return p;
}

}  // namespace

Result<SandboxPolicy> parse_policy_toml(std::string_view text, std::string_view origin) {
  const std::string source(origin);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto line = e.source().begin.line;
    return fail(ErrorCode::policy_parse,
                source + ":" + std::to_string(line) + ": invalid TOML: " + std::string(e.description()),
                {{"file", source}, {"line", std::to_string(line)}});
  }
  PolicyReader reader(source);
  auto policy = read_policy(reader, root);
  if (!policy) return policy;
  auto checked = validate_policy(*policy);
  if (checked) checked = check_workdir_visible(*policy);
  if (auto v = checked; !v) {
    Error e = v.error();
    // The semantic checks know the key path ("fs.writable_paths[1]"); find its line in this file.
    // A key set by the extended preset, not by the file, has no line here.
    std::string where = source;
    if (const auto key = e.context.find("key"); key != e.context.end()) {
      if (const toml::node* n = root.at_path(key->second).node(); n != nullptr) {
        const auto line = std::to_string(n->source().begin.line);
        where += ":" + line;
        e.context["line"] = line;
      }
    }
    e.message = where + ": " + e.message;
    e.context["file"] = source;
    return tl::unexpected(e);
  }
  return policy;
}

Result<SandboxPolicy> load_policy_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::path_not_found, "policy file '" + file.string() + "' cannot be opened",
                {{"file", file.string()}});
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_policy_toml(ss.str(), file.string());
}

}  // namespace kavach
