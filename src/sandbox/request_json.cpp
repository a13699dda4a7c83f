#include "sandbox/request_json.hpp"

#include <algorithm>

#include "core/json_bytes.hpp"
#include "kavach/gate.hpp"

namespace kavach {
namespace {

bool known_key(const std::string& k, std::initializer_list<const char*> known) {
  return std::any_of(known.begin(), known.end(), [&](const char* n) { return k == n; });
}

Result<std::vector<std::string>> strings(const nlohmann::json& j, const char* key, const char* what) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end()) return out;
  const std::string name = std::string(what) + "." + key;
  if (!it->is_array()) return fail(ErrorCode::invalid_argument, name + " must be an array of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return fail(ErrorCode::invalid_argument, name + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Keys of `j` outside `base` and `extra` are errors naming every valid key.
Result<void> keys_in(const nlohmann::json& j, std::initializer_list<const char*> base,
                     std::initializer_list<const char*> extra, const char* what) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (known_key(k, base) || known_key(k, extra)) continue;
    std::string list;
    for (const auto* group : {&base, &extra}) {
      for (const char* n : *group) list += (list.empty() ? "" : ", ") + std::string(n);
    }
    return fail(ErrorCode::invalid_argument, std::string(what) + ": unknown key '" + k + "'; valid: " + list,
                {{"key", k}});
  }
  return {};
}

}  // namespace

Result<nlohmann::json> parse_object(const char* text, const char* what) {
  if (text == nullptr) return fail(ErrorCode::invalid_argument, std::string(what) + " is NULL");
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::invalid_argument, std::string(what) + " is not a JSON object");
  }
  return j;
}

Result<void> only_keys(const nlohmann::json& j, std::initializer_list<const char*> known, const char* what) {
  return keys_in(j, known, {}, what);
}

Result<SandboxConfig> config_from_json(const nlohmann::json& j, std::initializer_list<const char*> extra) {
  if (auto k = keys_in(j, {"backend", "preset", "policy", "gate", "rw", "ro"}, extra, "config"); !k) {
    return tl::unexpected(k.error());
  }
  SandboxConfigBuilder b;
  if (j.contains("backend")) {
    if (!j["backend"].is_string()) return fail(ErrorCode::invalid_argument, "config.backend must be a string");
    b.backend(j["backend"].get<std::string>());
  }
  if (j.contains("preset") && j.contains("policy")) {
    return fail(ErrorCode::invalid_argument, "config: \"preset\" and \"policy\" contradict each other; a policy "
                                             "names its preset with \"extends\"");
  }
  if (j.contains("preset")) {
    if (!j["preset"].is_string()) return fail(ErrorCode::invalid_argument, "config.preset must be a string");
    b.preset(j["preset"].get<std::string>());
  }
  if (j.contains("policy")) {
    auto p = parse_policy_json(j["policy"], "config.policy");
    if (!p) return tl::unexpected(p.error());
    b.policy(std::move(*p));
  }
  if (j.contains("gate")) {
    if (!j["gate"].is_boolean()) return fail(ErrorCode::invalid_argument, "config.gate must be true or false");
    b.gate(j["gate"].get<bool>());
  }
  auto rw = strings(j, "rw", "config");
  if (!rw) return tl::unexpected(rw.error());
  for (const auto& p : *rw) b.writable(p);
  auto ro = strings(j, "ro", "config");
  if (!ro) return tl::unexpected(ro.error());
  for (const auto& p : *ro) b.readonly(p);
  auto built = b.build();
  // As `kavach run --rw`: without a working directory of its own, the sandbox starts in the
  // first writable directory (relative paths of files in and out resolve there).
  if (built && !rw->empty() && built->policy->fs.workdir.empty()) {
    SandboxPolicy p = built->policy.get();
    p.fs.workdir = std::filesystem::path(rw->front()).lexically_normal();
    auto valid = ValidPolicy::check(std::move(p));
    if (!valid) return tl::unexpected(valid.error());
    built->policy = std::move(*valid);
  }
  return built;
}

Result<Command> command_from_json(const nlohmann::json& j, std::initializer_list<const char*> extra) {
  if (auto k = keys_in(j, {"argv", "env", "stdin"}, extra, "command"); !k) return tl::unexpected(k.error());
  Command cmd;
  const auto argv = j.find("argv");
  if (argv == j.end() || !argv->is_array() || argv->empty()) {
    return fail(ErrorCode::invalid_argument, "command.argv must be a non-empty array of strings");
  }
  for (const auto& a : *argv) {
    if (!a.is_string()) return fail(ErrorCode::invalid_argument, "command.argv must be a non-empty array of strings");
    cmd.argv.push_back(a.get<std::string>());
  }
  if (const auto env = j.find("env"); env != j.end()) {
    if (!env->is_object()) return fail(ErrorCode::invalid_argument, "command.env must be an object of strings");
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string()) return fail(ErrorCode::invalid_argument, "command.env." + k + " must be a string");
      cmd.env.emplace_back(k, v.get<std::string>());
    }
  }
  if (const auto in = j.find("stdin"); in != j.end()) {
    if (!in->is_string()) return fail(ErrorCode::invalid_argument, "command.stdin must be a string");
    cmd.stdin_data = in->get<std::string>();
  }
  return cmd;
}

nlohmann::json to_json(const ExportedFile& f) {
  nlohmann::json r{{"path", f.path.string()}, {"bytes", f.bytes}, {"release", std::string(to_string(f.release))},
                   {"verdict", f.gate ? std::string(gate::to_string(f.gate->verdict)) : "disabled"},
                   {"findings", f.gate ? f.gate->findings.size() : 0}};
  if (f.release != OutputRelease::withheld) {
    if (is_valid_utf8(f.content)) r["content"] = f.content;
    else r["content_b64"] = base64(f.content);
  }
  return r;
}

nlohmann::json error_json(const Error& e) {
  nlohmann::json ctx = nlohmann::json::object();
  for (const auto& [k, v] : e.context) ctx[k] = v;
  return {{"error", {{"code", std::string(to_string(e.code))}, {"message", e.message}, {"context", ctx}}}};
}

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace kavach
