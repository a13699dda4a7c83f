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

#include "kavach/gate.hpp"
#include "kavach/json.hpp"
#include "kavach/sandbox.hpp"
#include "sandbox/request_json.hpp"

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

int error_out(const Error& e, char** out) {
  if (out != nullptr) *out = c_string(dump_json(error_json(e)));
  return -1;
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
    *result_json = c_string(dump_json(r));
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
    const nlohmann::json r = to_json(*f);
    *result_json = c_string(dump_json(r));
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
    *report_json = c_string(dump_json(r));
    return *report_json != nullptr ? 0 : -1;
  });
}

void kavach_free(char* s) { std::free(s); }

}  // extern "C"
