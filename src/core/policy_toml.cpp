// Policy files in TOML. Every error names file:line and the key path; unknown keys are errors.
// What each key means and how it is read is the key table's (policy_keys.cpp); this file walks
// a file's tables through it.
#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/policy_keys.hpp"
#include "core/toml_reader.hpp"
#include "kavach/policy.hpp"

namespace kavach {
namespace {

const PolicyKey* find_key(std::string_view path) {
  for (const PolicyKey& k : policy_keys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

// One table of the file (`section` "" = the top): only its keys, never a list and its `_add`
// twin together, each value read by its key.
Result<void> read_table(const TomlReader& r, const toml::table& t, std::string_view section, SandboxPolicy& p) {
  std::set<std::string_view> known;
  for (const PolicyKey& k : policy_keys()) {
    if (k.section() == section) known.insert(k.name());
  }
  if (section.empty()) {
    known.insert("extends");
    known.insert(std::begin(kPolicySections), std::end(kPolicySections));
  }
  if (auto o = r.only_keys(t, std::string(section), known); !o) return o;
  const std::string prefix = section.empty() ? "" : std::string(section) + ".";
  for (std::string_view name : known) {
    if (!name.ends_with("_add") || !t.contains(name)) continue;
    const std::string list(name.substr(0, name.size() - 4));
    if (t.contains(list)) {
      return tl::unexpected(r.error(ErrorCode::policy_conflict, *t.get(name), prefix + std::string(name),
                                    "'" + list + "' replaces the preset's list and '" + list +
                                        "_add' extends it: set one of them"));
    }
  }
  for (auto&& [k, v] : t) {
    const std::string key = prefix + std::string(k.str());
    if (key == "extends") continue;
    if (const PolicyKey* entry = find_key(key)) {
      if (auto read = entry->read(r, v, key, p); !read) return read;
      continue;
    }
    Error err;  // a section: `only_keys` let nothing else through
    const toml::table* sub = r.table(v, key, err);
    if (sub == nullptr) return tl::unexpected(err);
    if (auto read = read_table(r, *sub, k.str(), p); !read) return read;
  }
  return {};
}

Result<SandboxPolicy> read_policy(const TomlReader& r, const toml::table& root) {
  // Without `extends`: strict's filters and fs view, but no resource limits (a limit is only set
  // when the file says so — this is also what makes emitted policies round-trip).
  SandboxPolicy p = preset_policy(Preset::strict);
  p.limits = ResourceLimits{};
  p.name = "custom";
  if (const toml::node* ext = root.get("extends")) {
    auto name = r.str(*ext, "extends");
    if (!name) return tl::unexpected(name.error());
    auto preset = parse_preset(*name);
    if (!preset) return tl::unexpected(r.error(ErrorCode::unknown_preset, *ext, "extends", preset.error().message));
    p = preset_policy(*preset);
    p.name = *name + "+file";
  }
  if (auto read = read_table(r, root, "", p); !read) return tl::unexpected(read.error());
  return p;
}

// A parsed document (TOML, or JSON converted to TOML nodes) through the key table, then the
// semantic checks, placed at the key's line where the document has lines.
Result<SandboxPolicy> policy_from_table(const toml::table& root, const std::string& source) {
  TomlReader reader(source);
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
      if (const toml::node* n = root.at_path(key->second).node(); n != nullptr && n->source().begin.line > 0) {
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

// JSON values as TOML nodes (without source lines): objects are tables, arrays of objects
// arrays of tables; false for null, which no policy key takes, and for nesting deeper than any
// key goes (the deepest, landlock.paths[i].access, is 4 levels): the conversion recurses, and
// a caller's JSON must not be able to exhaust the stack.
constexpr int kMaxPolicyDepth = 8;
bool to_toml(const nlohmann::json& j, toml::array& into, int depth);
bool to_toml(const nlohmann::json& j, toml::table& into, const std::string& key, int depth = 0) {
  if (depth > kMaxPolicyDepth) return false;
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      toml::table t;
      for (const auto& [k, v] : j.items()) {
        if (!to_toml(v, t, k, depth + 1)) return false;
      }
      into.insert(key, std::move(t));
      return true;
    }
    case nlohmann::json::value_t::array: {
      toml::array a;
      if (!to_toml(j, a, depth + 1)) return false;
      into.insert(key, std::move(a));
      return true;
    }
    case nlohmann::json::value_t::string: into.insert(key, j.get<std::string>()); return true;
    case nlohmann::json::value_t::boolean: into.insert(key, j.get<bool>()); return true;
    case nlohmann::json::value_t::number_integer: into.insert(key, j.get<std::int64_t>()); return true;
    case nlohmann::json::value_t::number_unsigned:
      if (j.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return false;
      into.insert(key, static_cast<std::int64_t>(j.get<std::uint64_t>()));
      return true;
    case nlohmann::json::value_t::number_float: into.insert(key, j.get<double>()); return true;
    default: return false;
  }
}
bool to_toml(const nlohmann::json& j, toml::array& into, int depth) {
  for (const auto& v : j) {
    toml::table holder;
    if (!to_toml(v, holder, "v", depth)) return false;
    into.push_back(std::move(*holder.get("v")));
  }
  return true;
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
  return policy_from_table(root, source);
}

Result<SandboxPolicy> parse_policy_json(const nlohmann::json& policy, std::string_view origin) {
  const std::string source(origin);
  toml::table root;
  if (!policy.is_object() || !to_toml(policy, root, "policy")) {
    return fail(ErrorCode::policy_type,
                source + ": a policy is a JSON object of policy keys (docs/policy.md); null values, integers "
                         "beyond int64 and nesting deeper than 8 levels have no meaning in one",
                {{"file", source}});
  }
  return policy_from_table(*root.get_as<toml::table>("policy"), source);
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
