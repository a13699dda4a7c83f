// The key table: each key is a reader (a TomlReader primitive), a field of SandboxPolicy and a
// writer chosen by the field's type.
#include "core/policy_keys.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "kavach/network.hpp"

namespace kavach {
namespace {

// Writing one value into a TOML table, by the field's type. Unset optionals and empty single
// paths are left out (a file that does not set them reads back the same).
void put(toml::table& t, std::string_view k, bool v) { t.insert(k, v); }
void put(toml::table& t, std::string_view k, const std::string& v) { t.insert(k, v); }
void put(toml::table& t, std::string_view k, std::uint64_t v) { t.insert(k, static_cast<std::int64_t>(v)); }
void put(toml::table& t, std::string_view k, std::uint32_t v) { t.insert(k, static_cast<std::int64_t>(v)); }
void put(toml::table& t, std::string_view k, int v) { t.insert(k, static_cast<std::int64_t>(v)); }
void put(toml::table& t, std::string_view k, double v) { t.insert(k, v); }
void put(toml::table& t, std::string_view k, std::chrono::milliseconds v) { t.insert(k, std::int64_t{v.count()}); }
void put(toml::table& t, std::string_view k, SeccompMode v) { t.insert(k, std::string(to_string(v))); }
void put(toml::table& t, std::string_view k, NetworkMode v) { t.insert(k, std::string(to_string(v))); }
void put(toml::table& t, std::string_view k, const std::filesystem::path& v) {
  if (!v.empty()) t.insert(k, v.string());
}
template <class T>
void put(toml::table& t, std::string_view k, const std::optional<T>& v) {
  if (v) put(t, k, *v);
}
template <class List, class Each>
void put_list(toml::table& t, std::string_view k, const List& items, Each each) {
  toml::array a;
  for (const auto& i : items) a.push_back(each(i));
  t.insert(k, std::move(a));
}
void put(toml::table& t, std::string_view k, const std::vector<std::string>& v) {
  put_list(t, k, v, [](const std::string& s) { return s; });
}
void put(toml::table& t, std::string_view k, const std::vector<std::filesystem::path>& v) {
  put_list(t, k, v, [](const std::filesystem::path& p) { return p.string(); });
}
void put(toml::table& t, std::string_view k, const std::vector<std::uint16_t>& v) {
  put_list(t, k, v, [](std::uint16_t port) { return std::int64_t{port}; });
}
void put(toml::table& t, std::string_view k, const std::set<Control>& v) {
  put_list(t, k, v, [](Control c) { return std::string(to_string(c)); });
}
void put(toml::table& t, std::string_view k, const std::vector<HostPort>& v) {
  put_list(t, k, v, [](const HostPort& hp) { return to_string(hp); });
}
void put(toml::table& t, std::string_view k, const std::vector<PathRule>& v) {
  put_list(t, k, v, [](const PathRule& r) {
    toml::array access;
    if ((r.access & kAccessRead) != 0) access.push_back("read");
    if ((r.access & kAccessWrite) != 0) access.push_back("write");
    if ((r.access & kAccessExec) != 0) access.push_back("exec");
    return toml::table{{"path", r.path.string()}, {"access", std::move(access)}};
  });
}

// A value within a range, for a field's type (lists: each entry, named key[i]).
Result<void> in_range(const NumericRange& r, std::uint64_t v) { return check_range(r, v); }
Result<void> in_range(const NumericRange& r, std::uint32_t v) { return check_range(r, v); }
Result<void> in_range(const NumericRange& r, int v) { return check_signed_range(r, v); }
Result<void> in_range(const NumericRange& r, double v) { return check_real_range(r, v); }
Result<void> in_range(const NumericRange& r, std::chrono::milliseconds v) { return check_signed_range(r, v.count()); }
template <class T>
Result<void> in_range(const NumericRange& r, const std::optional<T>& v) {
  return v ? in_range(r, *v) : Result<void>{};
}
template <class T, class Port>
Result<void> each_in_range(const NumericRange& r, const std::vector<T>& list, Port port) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::optional<std::uint16_t> v = port(list[i]);
    if (!v) continue;
    if (auto c = check_range(r, *v, std::string(r.key) + "[" + std::to_string(i) + "]"); !c) return c;
  }
  return {};
}
Result<void> in_range(const NumericRange& r, const std::vector<std::uint16_t>& v) {
  return each_in_range(r, v, [](std::uint16_t p) { return std::optional(p); });
}
Result<void> in_range(const NumericRange& r, const std::vector<HostPort>& v) {
  return each_in_range(r, v, [](const HostPort& hp) { return hp.port; });  // none: 80 and 443
}

// A reader whose values have a range: the key built from it checks values built in code too.
template <class Parse>
struct Ranged {
  Parse parse;
  const NumericRange* range;
  auto operator()(const TomlReader& r, const toml::node& n, const std::string& k) const { return parse(r, n, k); }
};
template <class Parse>
Ranged<Parse> ranged(Parse parse, const NumericRange& range) {
  return {std::move(parse), &range};
}
template <class Parse, class Get>
void add_check(PolicyKey&, const Parse&, Get) {}
template <class Parse, class Get>
void add_check(PolicyKey& k, const Ranged<Parse>& parse, Get get) {
  k.check = [range = parse.range, get](const SandboxPolicy& p) { return in_range(*range, get(p)); };
}

// A key whose value `parse` reads and `get` (a generic lambda returning the field) holds.
template <class Parse, class Get>
PolicyKey key(std::string_view path, std::string_view kind, std::string_view doc, Parse parse, Get get) {
  PolicyKey k{path, kind, doc,
              [parse, get](const TomlReader& r, const toml::node& n, const std::string& key,
                           SandboxPolicy& p) -> Result<void> {
                auto v = parse(r, n, key);
                if (!v) return tl::unexpected(v.error());
                get(p) = std::move(*v);
                return {};
              },
              [get](const SandboxPolicy& p, toml::table& t, std::string_view name) { put(t, name, get(p)); },
              {}};
  add_check(k, parse, get);
  return k;
}

template <class T>
void append_unique(std::vector<T>& to, const std::vector<T>& more) {
  for (const auto& m : more) {
    if (std::find(to.begin(), to.end(), m) == to.end()) to.push_back(m);
  }
}

// `list_add`: extends the list the preset set (`list` replaces it); never written back.
template <class Parse, class Get>
PolicyKey add_key(std::string_view path, std::string_view doc, Parse parse, Get get) {
  return {path, "list", doc,
          [parse, get](const TomlReader& r, const toml::node& n, const std::string& k, SandboxPolicy& p) -> Result<void> {
            auto v = parse(r, n, k);
            if (!v) return tl::unexpected(v.error());
            append_unique(get(p), *v);
            return {};
          },
          {},
          {}};
}

// The readers, as `parse` arguments.
const auto text = [](const TomlReader& r, const toml::node& n, const std::string& k) { return r.str(n, k); };
const auto flag = [](const TomlReader& r, const toml::node& n, const std::string& k) { return r.boolean(n, k); };
const auto strings = [](const TomlReader& r, const toml::node& n, const std::string& k) { return r.strings(n, k); };
const auto abs_paths = [](const TomlReader& r, const toml::node& n, const std::string& k) {
  return r.abs_paths(n, k);
};
// Relative entries are allowed (inside every writable path).
const auto any_paths = [](const TomlReader& r, const toml::node& n,
                          const std::string& k) -> Result<std::vector<std::filesystem::path>> {
  auto list = r.strings(n, k);
  if (!list) return tl::unexpected(list.error());
  return std::vector<std::filesystem::path>(list->begin(), list->end());
};
const auto syscalls = [](const TomlReader& r, const toml::node& n,
                         const std::string& k) -> Result<std::vector<std::string>> {
  std::vector<std::string> out;
  if (auto s = r.syscall_names(n, k, out); !s) return tl::unexpected(s.error());
  return out;
};
auto whole(const NumericRange& range) {
  return ranged([&range](const TomlReader& r, const toml::node& n, const std::string& k) { return r.whole(n, k, range); },
                range);
}
template <class T>
auto whole_as(const NumericRange& range) {
  return ranged(
      [&range](const TomlReader& r, const toml::node& n, const std::string& k) -> Result<T> {
        auto v = r.whole(n, k, range);
        if (!v) return tl::unexpected(v.error());
        return static_cast<T>(*v);
      },
      range);
}
auto bytes(const NumericRange& range) {
  return ranged([&range](const TomlReader& r, const toml::node& n, const std::string& k) { return r.bytes(n, k, range); },
                range);
}
auto ports(const NumericRange& range) {
  return ranged([&range](const TomlReader& r, const toml::node& n, const std::string& k) { return r.ports(n, k, range); },
                range);
}
const auto cores = ranged(
    [](const TomlReader& r, const toml::node& n, const std::string& k) { return r.real(n, k, ranges::cpu); },
    ranges::cpu);
const auto duration_ms = ranged(
    [](const TomlReader& r, const toml::node& n, const std::string& k) -> Result<std::chrono::milliseconds> {
      auto ms = r.whole(n, k, ranges::wall_timeout);
      if (!ms) return tl::unexpected(ms.error());
      return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
    },
    ranges::wall_timeout);
const auto abs_path = [](const TomlReader& r, const toml::node& n,
                         const std::string& k) -> Result<std::filesystem::path> {
  auto s = r.str(n, k);
  if (!s) return tl::unexpected(s.error());
  const std::filesystem::path p(*s);
  if (!p.is_absolute()) return tl::unexpected(r.error(ErrorCode::path_not_absolute, n, k, "path '" + *s + "' must be absolute"));
  return p.lexically_normal();
};
// A string from a fixed list; `what` and `listed` word the error.
auto one_of(std::vector<std::string_view> valid, std::string_view what, std::string_view listed) {
  return [valid = std::move(valid), what, listed](const TomlReader& r, const toml::node& n,
                                                 const std::string& k) -> Result<std::string> {
    auto s = r.str(n, k);
    if (!s) return s;
    if (std::find(valid.begin(), valid.end(), *s) != valid.end()) return s;
    return tl::unexpected(r.error(ErrorCode::policy_value, n, k,
                                  "unknown " + std::string(what) + " '" + *s + "'; valid: " + std::string(listed)));
  };
}
const auto seccomp_mode = [](const TomlReader& r, const toml::node& n, const std::string& k) -> Result<SeccompMode> {
  auto s = one_of({"none", "basic", "strict", "custom"}, "mode", "none, basic, strict, custom")(r, n, k);
  if (!s) return tl::unexpected(s.error());
  for (SeccompMode m : {SeccompMode::none, SeccompMode::basic, SeccompMode::strict, SeccompMode::custom}) {
    if (to_string(m) == *s) return m;
  }
  return SeccompMode::strict;  // not reached: one_of accepted only these
};
const auto network_mode = [](const TomlReader& r, const toml::node& n, const std::string& k) -> Result<NetworkMode> {
  auto s = r.str(n, k);
  if (!s) return tl::unexpected(s.error());
  auto mode = parse_network_mode(*s);
  if (!mode) return tl::unexpected(r.error(ErrorCode::policy_value, n, k, mode.error().message));
  return mode;
};
const auto allow_entries = ranged([](const TomlReader& r, const toml::node& n,
                              const std::string& k) -> Result<std::vector<HostPort>> {
  auto entries = r.strings(n, k);
  if (!entries) return tl::unexpected(entries.error());
  std::vector<HostPort> out;
  const toml::array& arr = *n.as_array();
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string ekey = k + "[" + std::to_string(i) + "]";
    auto entry = parse_allow_entry((*entries)[i]);
    if (!entry && entry.error().context.count("port") != 0) {  // a port outside the range table's
      return tl::unexpected(
          r.located(*arr.get(i), out_of_range_error(ranges::allow_port, ekey, entry.error().context.at("port"))));
    }
    if (!entry) return tl::unexpected(r.error(ErrorCode::policy_value, *arr.get(i), ekey, entry.error().message));
    out.push_back(std::move(*entry));
  }
  return out;
}, ranges::allow_port);
const auto controls = [](const TomlReader& r, const toml::node& n, const std::string& k) -> Result<std::set<Control>> {
  auto names = r.strings(n, k);
  if (!names) return tl::unexpected(names.error());
  std::set<Control> out;
  for (const auto& name : *names) {
    auto c = parse_control(name);
    if (!c) return tl::unexpected(r.error(ErrorCode::policy_value, n, k, c.error().message));
    out.insert(*c);
  }
  return out;
};
Result<unsigned> access_words(const TomlReader& r, const toml::node& n, const std::string& k) {
  auto words = r.strings(n, k);
  if (!words) return tl::unexpected(words.error());
  unsigned access = 0;
  for (const auto& w : *words) {
    if (w == "read") access |= kAccessRead;
    else if (w == "write") access |= kAccessWrite;
    else if (w == "exec") access |= kAccessExec;
    else return tl::unexpected(r.error(ErrorCode::policy_value, n, k, "unknown access '" + w + "'; valid: read, write, exec"));
  }
  if (access == 0) return tl::unexpected(r.error(ErrorCode::policy_value, n, k, "access list is empty"));
  return access;
}
const auto path_rules = [](const TomlReader& r, const toml::node& n,
                           const std::string& k) -> Result<std::vector<PathRule>> {
  const toml::array* arr = n.as_array();
  if (arr == nullptr) {
    return tl::unexpected(r.error(ErrorCode::policy_type, n, k, "expected an array of tables ([[landlock.paths]])"));
  }
  std::vector<PathRule> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    const std::string ekey = k + "[" + std::to_string(i) + "]";
    Error err;
    const toml::table* et = r.table(el, ekey, err);
    if (et == nullptr) return tl::unexpected(err);
    if (auto o = r.only_keys(*et, ekey, {"path", "access"}); !o) return tl::unexpected(o.error());
    const toml::node* pn = et->get("path");
    const toml::node* an = et->get("access");
    if (pn == nullptr || an == nullptr) {
      return tl::unexpected(r.error(ErrorCode::policy_value, el, ekey, "needs both 'path' and 'access'"));
    }
    auto path = r.str(*pn, ekey + ".path");
    if (!path) return tl::unexpected(path.error());
    PathRule rule{*path, 0};
    if (!rule.path.is_absolute()) {
      return tl::unexpected(r.error(ErrorCode::path_not_absolute, *pn, ekey + ".path", "path '" + *path + "' must be absolute"));
    }
    auto access = access_words(r, *an, ekey + ".access");
    if (!access) return tl::unexpected(access.error());
    rule.access = *access;
    out.push_back(std::move(rule));
  }
  return out;
};

#define KV_FIELD(expr) ([](auto& p) -> auto& { return p.expr; })

std::vector<PolicyKey> make_keys() {
  return {
      key("name", "string", "the policy's name (audit records, `--json`)", text, KV_FIELD(name)),
      key("hostname", "string", "host name inside the sandbox (1..64 characters)", text, KV_FIELD(hostname)),
      key("uid", "integer", "uid inside the sandbox (always mapped to an unprivileged host id)",
          whole_as<std::uint32_t>(ranges::uid), KV_FIELD(uid)),
      key("gid", "integer", "gid inside the sandbox", whole_as<std::uint32_t>(ranges::gid), KV_FIELD(gid)),
      key("env_allow", "names", "host variables passed through by name (default none)", strings, KV_FIELD(env_allow)),
      add_key("env_allow_add", "extends the preset's `env_allow`", strings, KV_FIELD(env_allow)),
      key("keep_capabilities", "names", "capabilities kept, like `CAP_NET_BIND_SERVICE` (default: all dropped)",
          strings, KV_FIELD(keep_capabilities)),
      key("may_degrade", "controls", "controls that may be skipped, recorded, when the host lacks them", controls,
          KV_FIELD(may_degrade)),

      key("seccomp.mode", "choice",
          "none (no filter), basic (the dangerous-syscall denylist), strict (the allowlist) or custom (`custom_allow`)", seccomp_mode,
          KV_FIELD(seccomp.mode)),
      key("seccomp.custom_allow", "syscalls", "mode `custom`: the allowlist", syscalls, KV_FIELD(seccomp.custom_allow)),
      key("seccomp.extra_allow", "syscalls", "added to the strict or basic filter", syscalls,
          KV_FIELD(seccomp.extra_allow)),
      key("seccomp.extra_deny", "syscalls", "denied in any mode", syscalls, KV_FIELD(seccomp.extra_deny)),
      key("seccomp.allow_memfd_exec", "bool", "memfd_create permitted", flag, KV_FIELD(seccomp.allow_memfd_exec)),

      key("landlock.enabled", "bool", "a Landlock domain from the filesystem rules", flag, KV_FIELD(landlock.enabled)),
      key("landlock.min_abi", "integer", "fail closed below this Landlock ABI", whole_as<int>(ranges::min_abi),
          KV_FIELD(landlock.min_abi)),
      key("landlock.paths", "rules", "extra `[[landlock.paths]]` rules: `path` and `access` (read, write, exec)",
          path_rules, KV_FIELD(landlock.paths)),
      key("landlock.restrict_tcp", "bool", "deny TCP bind/connect except the ports listed", flag,
          KV_FIELD(landlock.restrict_tcp)),
      key("landlock.tcp_bind", "ports", "TCP ports the sandbox may bind", ports(ranges::tcp_bind),
          KV_FIELD(landlock.tcp_bind)),
      key("landlock.tcp_connect", "ports", "TCP ports the sandbox may connect to", ports(ranges::tcp_connect),
          KV_FIELD(landlock.tcp_connect)),
      key("landlock.scope_signals", "bool", "no signals to processes outside the sandbox (ABI 6)", flag,
          KV_FIELD(landlock.scope_signals)),
      key("landlock.scope_abstract_unix", "bool", "no abstract Unix sockets outside the sandbox (ABI 6)", flag,
          KV_FIELD(landlock.scope_abstract_unix)),

      key("network.mode", "choice", "off, loopback, allowlist or host (docs/network.md)", network_mode, KV_FIELD(network.mode)),
      key("network.allow", "destinations", "allowlist mode: host[:port], *.domain, IP or CIDR", allow_entries,
          KV_FIELD(network.allow)),

      key("limits.memory", "size", "memory limit (cgroup)", bytes(ranges::memory), KV_FIELD(limits.memory_bytes)),
      key("limits.swap", "size", "swap limit (cgroup)", bytes(ranges::swap), KV_FIELD(limits.swap_bytes)),
      key("limits.cpu", "cores", "CPU quota in cores (cgroup)", cores, KV_FIELD(limits.cpu_cores)),
      key("limits.pids", "integer", "processes and threads (cgroup)", whole(ranges::pids), KV_FIELD(limits.pids)),
      key("limits.open_files", "integer", "RLIMIT_NOFILE", whole(ranges::open_files), KV_FIELD(limits.open_files)),
      key("limits.file_size", "size", "RLIMIT_FSIZE", bytes(ranges::file_size), KV_FIELD(limits.file_size_bytes)),
      key("limits.address_space", "size", "RLIMIT_AS", bytes(ranges::address_space),
          KV_FIELD(limits.address_space_bytes)),
      key("limits.cpu_time_seconds", "integer", "RLIMIT_CPU, with a backstop on the cgroup's CPU time",
          whole(ranges::cpu_time), KV_FIELD(limits.cpu_time_seconds)),
      key("limits.nproc", "integer", "RLIMIT_NPROC", whole(ranges::nproc), KV_FIELD(limits.nproc)),
      key("limits.disk_bytes", "size", "what the run may add to its writable paths (project quota)",
          bytes(ranges::disk), KV_FIELD(limits.disk_bytes)),
      key("limits.wall_timeout_ms", "integer", "the whole tree is killed after this", duration_ms,
          KV_FIELD(limits.wall_timeout)),
      key("limits.output_bytes", "size", "kept per stream; more is truncated and flagged", bytes(ranges::output),
          KV_FIELD(limits.output_bytes)),
      key("limits.tmpfs", "size", "size of the private /tmp and /dev/shm", bytes(ranges::tmpfs),
          KV_FIELD(limits.tmpfs_bytes)),

      key("fs.readonly_root", "bool", "the sandbox's root is read-only", flag, KV_FIELD(fs.readonly_root)),
      key("fs.readonly_paths", "paths", "host paths visible read-only (replaces the preset's list)", abs_paths,
          KV_FIELD(fs.readonly_paths)),
      add_key("fs.readonly_paths_add", "extends the preset's `fs.readonly_paths`", abs_paths,
              KV_FIELD(fs.readonly_paths)),
      key("fs.writable_paths", "paths", "host directories mounted writable (nodev, nosuid)", abs_paths,
          KV_FIELD(fs.writable_paths)),
      add_key("fs.writable_paths_add", "extends the preset's `fs.writable_paths`", abs_paths,
              KV_FIELD(fs.writable_paths)),
      key("fs.protected_paths", "paths", "kept read-only inside writable paths; relative: at every depth", any_paths,
          KV_FIELD(fs.protected_paths)),
      add_key("fs.protected_paths_add", "extends the preset's `fs.protected_paths`", any_paths,
              KV_FIELD(fs.protected_paths)),
      key("fs.workdir", "path", "working directory inside the sandbox (default /)", abs_path, KV_FIELD(fs.workdir)),

      key("oci.runtime", "choice", "oci/gvisor: \"\" (automatic), crun, runc or runsc",
          one_of({"", "crun", "runc", "runsc"}, "runtime", "crun, runc, runsc"), KV_FIELD(oci.runtime)),
      key("oci.allow_runtime_fallback", "bool", "use runc when the requested runtime cannot run on this host", flag,
          KV_FIELD(oci.allow_runtime_fallback)),
      key("oci.rootfs", "path", "a root filesystem directory (default: a read-only view of the host)", abs_path,
          KV_FIELD(oci.rootfs)),
      key("oci.image", "path", "an OCI image layout on disk, unpacked with umoci (no pulls)", abs_path,
          KV_FIELD(oci.image)),
      key("oci.image_tag", "string", "the image's tag", text, KV_FIELD(oci.image_tag)),
      key("oci.gvisor_platform", "choice", "gVisor's platform: auto (ptrace), ptrace or kvm",
          one_of({"auto", "ptrace", "kvm"}, "gVisor platform", "auto, ptrace, kvm"), KV_FIELD(oci.gvisor_platform)),
  };
}

#undef KV_FIELD

}  // namespace

std::string_view PolicyKey::section() const {
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view PolicyKey::name() const {
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

const std::vector<PolicyKey>& policy_keys() {
  static const std::vector<PolicyKey> keys = make_keys();
  return keys;
}

Result<void> check_policy_numbers(const SandboxPolicy& policy) {
  for (const PolicyKey& k : policy_keys()) {
    if (!k.check) continue;
    if (auto c = k.check(policy); !c) return c;
  }
  return {};
}

std::string policy_keys_markdown() {
  std::string out = "| key | kind | meaning |\n|---|---|---|\n";
  for (const PolicyKey& k : policy_keys()) {
    out += "| `" + std::string(k.path) + "` | " + std::string(k.kind) + " | " + std::string(k.doc) + " |\n";
  }
  return out;
}

}  // namespace kavach
