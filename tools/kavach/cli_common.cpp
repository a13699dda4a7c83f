#include "cli_common.hpp"

#include <cstdio>
#include <map>
#include "exit_codes.hpp"

namespace kavach::cli {

Error with_hint(Error e, std::string hint) {
  if (!hint.empty()) e.context["hint"] = std::move(hint);
  return e;
}

std::string dump_json(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json error_json(const Error& e) {
  nlohmann::json context = nlohmann::json::object();
  for (const auto& [k, v] : e.context) {
    if (k != "hint" && k != "mount_plan") context[k] = v;
  }
  nlohmann::json out = {{"code", std::string(to_string(e.code))}, {"message", e.message}, {"context", context}};
  if (const auto h = e.context.find("hint"); h != e.context.end()) out["hint"] = h->second;
  return out;
}

int report_error(const Error& e, bool json) {
  if (json) {
    const nlohmann::json out = {{"schema_version", kJsonSchemaVersion}, {"error", error_json(e)}};
    std::fprintf(stderr, "%s\n", dump_json(out).c_str());
    return cli_exit_code(e.code);
  }
  std::string head = "kavach: error [" + std::string(to_string(e.code)) + "]";
  if (const auto s = e.context.find("stage");
      s != e.context.end() && e.message.find("stage " + s->second) == std::string::npos) {
    head += " at stage " + s->second;
  }
  std::fprintf(stderr, "%s: %s\n", head.c_str(), e.message.c_str());
  if (const auto h = e.context.find("hint"); h != e.context.end()) print_hint(h->second);
  return cli_exit_code(e.code);
}

void print_hint(const std::string& hint) {
  std::size_t start = 0;
  while (start <= hint.size()) {
    const auto nl = hint.find('\n', start);
    std::fprintf(stderr, "%s %s\n", start == 0 ? "hint:" : "     ",
                 hint.substr(start, nl == std::string::npos ? std::string::npos : nl - start).c_str());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

void print_json(nlohmann::json j) {
  j["schema_version"] = kJsonSchemaVersion;
  std::printf("%s\n", dump_json(j).c_str());
}

std::string exit_code_help() {
  std::string s =
      "Exit status:\n"
      "  run      the sandboxed command's own exit status, or 128+N when signal N ended it\n"
      "           (a wall-clock timeout kills with SIGKILL: 137, and timed_out=true in --json);\n"
      "           a command that could not start: 127 (not found) or 126 (not executable);\n"
      "           the gate's verdict wins when it is quarantine (88) or block (87), for the\n"
      "           output and for --export files; a failed --export: its error's status\n"
      "  scan     0 pass, 1 warn, 2 quarantine, 3 block\n"
      "  gc       1 when something could not be removed\n"
      "  others   0 success\n"
      "  kavach's own errors (a command may exit with these numbers too; with --json a kavach error\n"
      "  prints {\"error\":{\"code\":...}} on stderr and no result on stdout):\n";
  std::map<int, std::string_view> by_status;
  for (int i = 0; i <= static_cast<int>(ErrorCode::internal); ++i) {
    const auto c = static_cast<ErrorCode>(i);
    by_status[cli_exit_code(c)] = to_string(c);
  }
  for (const auto& [status, name] : by_status) s += "    " + std::to_string(status) + "  " + std::string(name) + "\n";
  return s;
}

}  // namespace kavach::cli
