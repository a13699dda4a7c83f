// The C API (include/kavach/kavach.h): JSON in, JSON out, over the C++ library. Nothing here
// decides anything a C++ caller would not: configs go through SandboxConfigBuilder (one
// validation), policies through the key table (parse_policy_json), results through
// to_json(RunReport).
#include "kavach/kavach.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/json_bytes.hpp"
#include "kavach/gate.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"

struct kavach_sandbox {
  std::mutex mu;  // one command at a time per handle
  std::unique_ptr<kavach::Sandbox> sandbox;
};

namespace kavach {
namespace {

// A copy the caller frees with kavach_free (malloc'd: C callers may pass it to free too).
char* c_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// Invalid UTF-8 in a command's output is replaced (the *_b64 keys carry the exact bytes).
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

int error_out(const Error& e, char** out) {
  if (out != nullptr) {
    nlohmann::json ctx = nlohmann::json::object();
    for (const auto& [k, v] : e.context) ctx[k] = v;
    *out = c_string(dump({{"error", {{"code", std::string(to_string(e.code))}, {"message", e.message}, {"context", ctx}}}}));
  }
  return -1;
}

Result<nlohmann::json> parse_object(const char* text, const char* what) {
  if (text == nullptr) return fail(ErrorCode::invalid_argument, std::string(what) + " is NULL");
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(ErrorCode::invalid_argument, std::string(what) + " is not a JSON object");
  }
  return j;
}

// Keys outside `known` are errors: a typo must not silently change what runs.
Result<void> only_keys(const nlohmann::json& j, std::initializer_list<const char*> known, const char* what) {
  for (const auto& item : j.items()) {
    const std::string& k = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
      std::string list;
      for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return fail(ErrorCode::invalid_argument, std::string(what) + ": unknown key '" + k + "'; valid: " + list,
                  {{"key", k}});
    }
  }
  return {};
}

Result<SandboxConfig> config_from_json(const nlohmann::json& j) {
  if (auto k = only_keys(j, {"backend", "preset", "policy", "gate"}, "config"); !k) return tl::unexpected(k.error());
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
  return b.build();
}

Result<Command> command_from_json(const nlohmann::json& j) {
  if (auto k = only_keys(j, {"argv", "env", "stdin"}, "command"); !k) return tl::unexpected(k.error());
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

// No exception may cross into C: anything thrown (allocation) becomes an `internal` error.
template <class F>
int guarded(char** out, F f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return error_out(make_error(ErrorCode::internal, std::string("unexpected: ") + e.what()), out);
  } catch (...) {
    return error_out(make_error(ErrorCode::internal, "unexpected exception"), out);
  }
}

}  // namespace
}  // namespace kavach

extern "C" {

const char* kavach_version(void) { return KAVACH_VERSION; }

int kavach_sandbox_create(const char* config_json, kavach_sandbox** out, char** error_json) {
  using namespace kavach;
  if (out != nullptr) *out = nullptr;
  if (error_json != nullptr) *error_json = nullptr;
  return guarded(error_json, [&] {
    if (out == nullptr) return error_out(make_error(ErrorCode::invalid_argument, "out is NULL"), error_json);
    auto j = parse_object(config_json, "config_json");
    if (!j) return error_out(j.error(), error_json);
    auto config = config_from_json(*j);
    if (!config) return error_out(config.error(), error_json);
    auto sandbox = Sandbox::create(std::move(*config));
    if (!sandbox) return error_out(sandbox.error(), error_json);
    auto handle = std::make_unique<kavach_sandbox>();
    handle->sandbox = std::move(*sandbox);
    *out = handle.release();
    return 0;
  });
}

int kavach_sandbox_exec(kavach_sandbox* sandbox, const char* command_json, char** result_json) {
  using namespace kavach;
  if (result_json != nullptr) *result_json = nullptr;
  return guarded(result_json, [&] {
    if (sandbox == nullptr) return error_out(make_error(ErrorCode::invalid_argument, "sandbox is NULL"), result_json);
    if (result_json == nullptr) return -1;
    auto j = parse_object(command_json, "command_json");
    if (!j) return error_out(j.error(), result_json);
    auto cmd = command_from_json(*j);
    if (!cmd) return error_out(cmd.error(), result_json);
    std::lock_guard lock(sandbox->mu);
    auto report = sandbox->sandbox->exec(*cmd);
    if (!report) return error_out(report.error(), result_json);
    nlohmann::json r = to_json(*report);
    r["backend"] = std::string(to_string(sandbox->sandbox->config().backend));
    r["policy"] = sandbox->sandbox->config().policy->name;
    r["sandbox_id"] = sandbox->sandbox->id();
    *result_json = c_string(dump(r));
    return *result_json != nullptr ? 0 : -1;
  });
}

int kavach_sandbox_write_file(kavach_sandbox* sandbox, const char* path, const char* data, size_t len,
                              char** error_json) {
  using namespace kavach;
  if (error_json != nullptr) *error_json = nullptr;
  return guarded(error_json, [&] {
    if (sandbox == nullptr || path == nullptr || (data == nullptr && len != 0)) {
      return error_out(make_error(ErrorCode::invalid_argument, "sandbox, path or data is NULL"), error_json);
    }
    std::lock_guard lock(sandbox->mu);
    auto r = sandbox->sandbox->import_file(path, std::string_view(data == nullptr ? "" : data, len));
    return r ? 0 : error_out(r.error(), error_json);
  });
}

int kavach_sandbox_read_file(kavach_sandbox* sandbox, const char* path, char** result_json) {
  using namespace kavach;
  if (result_json != nullptr) *result_json = nullptr;
  return guarded(result_json, [&] {
    if (sandbox == nullptr || path == nullptr) {
      return error_out(make_error(ErrorCode::invalid_argument, "sandbox or path is NULL"), result_json);
    }
    if (result_json == nullptr) return -1;
    std::lock_guard lock(sandbox->mu);
    auto f = sandbox->sandbox->export_file(path);
    if (!f) return error_out(f.error(), result_json);
    nlohmann::json r{{"path", f->path.string()}, {"bytes", f->bytes}, {"release", std::string(to_string(f->release))},
                     {"verdict", f->gate ? std::string(gate::to_string(f->gate->verdict)) : "disabled"},
                     {"findings", f->gate ? f->gate->findings.size() : 0}};
    if (f->release != OutputRelease::withheld) {
      if (is_valid_utf8(f->content)) r["content"] = f->content;
      else r["content_b64"] = base64(f->content);
    }
    *result_json = c_string(dump(r));
    return *result_json != nullptr ? 0 : -1;
  });
}

void kavach_sandbox_destroy(kavach_sandbox* sandbox) {
  if (sandbox == nullptr) return;
  try {
    {
      std::lock_guard lock(sandbox->mu);
      if (sandbox->sandbox && sandbox->sandbox->state() == kavach::State::running) (void)sandbox->sandbox->stop();
      if (sandbox->sandbox) (void)sandbox->sandbox->destroy();
    }
    delete sandbox;
  } catch (...) {  // nothing may cross into C; the Sandbox destructor releases what is left
  }
}

int kavach_scan(const char* data, size_t len, char** report_json) {
  using namespace kavach;
  if (report_json != nullptr) *report_json = nullptr;
  return guarded(report_json, [&] {
    if (report_json == nullptr) return -1;
    if (data == nullptr && len != 0) return error_out(make_error(ErrorCode::invalid_argument, "data is NULL"), report_json);
    auto g = gate::Gate::builtin();
    if (!g) return error_out(g.error(), report_json);
    gate::Session session(*g);
    auto redacted = session.scan("input", std::string_view(data == nullptr ? "" : data, len));
    if (!redacted) return error_out(redacted.error(), report_json);
    nlohmann::json r = gate::to_json(session.report());
    r["redacted"] = *redacted;
    *report_json = c_string(dump(r));
    return *report_json != nullptr ? 0 : -1;
  });
}

void kavach_free(char* s) { std::free(s); }

}  // extern "C"
