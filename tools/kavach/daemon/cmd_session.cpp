// kavach session create|exec|cp|ls|inspect|pause|resume|rm: the daemon's sessions from scripts.
#include "daemon/cmd_session.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli_common.hpp"
#include "core/json_bytes.hpp"
#include "daemon/client.hpp"
#include "daemon/cmd_daemon.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace {

struct SessionFlags {
  std::string socket;
  bool json = false;
  // create
  std::string backend;
  std::string preset;
  std::vector<std::string> rw;
  std::vector<std::string> ro;
  std::uint64_t idle_timeout_ms = 0;
  bool idle_set = false;
  std::uint64_t max_lifetime_ms = 0;
  bool no_gate = false;
  // others
  std::string id;
  std::vector<std::string> command;
  std::string src;
  std::string dst;
};

// The exact bytes of a *_b64 value (OpenSSL's decoder; padding removed).
std::optional<std::string> from_base64(const std::string& s) {
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out(s.size() / 4 * 3, '\0');
  const int n = ::EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  const std::size_t pad = (!s.empty() && s.back() == '=') + (s.size() > 1 && s[s.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Result<DaemonClient> client(const SessionFlags& f) {
  const std::filesystem::path p = f.socket.empty() ? default_daemon_socket() : std::filesystem::path(f.socket);
  if (p.empty()) {
    return fail(ErrorCode::invalid_argument, "no daemon socket: give --socket PATH or KAVACH_HOST=unix:///path");
  }
  return DaemonClient(p);
}

int done(const Result<nlohmann::json>& r, const SessionFlags& f, const std::function<void(const nlohmann::json&)>& text) {
  if (!r) return report_error(r.error(), f.json);
  if (f.json) {
    print_json(*r);
  } else {
    text(*r);
  }
  return 0;
}

void print_session_line(const nlohmann::json& s) {
  std::printf("%-22s %-8s %-8s %-10s uid %-6s %s\n", s.value("id", "").c_str(), s.value("state", "").c_str(),
              s.value("backend", "").c_str(), s.value("policy", "").c_str(),
              std::to_string(s.value("owner_uid", 0)).c_str(), s.value("created_at", "").c_str());
}

int create(const SessionFlags& f) {
  auto c = client(f);
  if (!c) return report_error(c.error(), f.json);
  nlohmann::json body = nlohmann::json::object();
  if (!f.backend.empty()) body["backend"] = f.backend;
  if (!f.preset.empty()) body["preset"] = f.preset;
  std::vector<std::string> rw;
  for (const auto& p : f.rw) rw.push_back(std::filesystem::absolute(p).lexically_normal().string());
  std::vector<std::string> ro;
  for (const auto& p : f.ro) ro.push_back(std::filesystem::absolute(p).lexically_normal().string());
  if (!rw.empty()) body["rw"] = rw;
  if (!ro.empty()) body["ro"] = ro;
  if (f.no_gate) body["gate"] = false;
  if (f.idle_set) body["idle_timeout_ms"] = f.idle_timeout_ms;
  if (f.max_lifetime_ms != 0) body["max_lifetime_ms"] = f.max_lifetime_ms;
  return done(c->call("POST", "/v1/sessions", body), f, [](const nlohmann::json& s) {
    std::printf("%s\n", s.value("id", "").c_str());
  });
}

// Output as the gate releases it, on our stdout/stderr; the exit status is the command's.
int exec(const SessionFlags& f) {
  auto c = client(f);
  if (!c) return report_error(c.error(), f.json);
  nlohmann::json body{{"argv", f.command}, {"stream", true}};
  if (::isatty(STDIN_FILENO) == 0) {
    std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!in.empty()) {
      if (!is_valid_utf8(in)) {
        return report_error(make_error(ErrorCode::invalid_argument, "session exec: stdin must be UTF-8 text"), f.json);
      }
      body["stdin"] = in;
    }
  }
  nlohmann::json result;
  std::optional<Error> failed;
  auto s = c->stream("/v1/sessions/" + f.id + "/exec", body, [&](const nlohmann::json& line) {
    const std::string type = line.value("type", "");
    if (type == "stdout" || type == "stderr") {
      std::string data = line.contains("data_b64") ? from_base64(line.value("data_b64", "")).value_or("")
                                                   : line.value("data", "");
      std::FILE* out = type == "stdout" ? stdout : stderr;
      std::fwrite(data.data(), 1, data.size(), out);
      std::fflush(out);
    } else if (type == "result") {
      result = line["result"];
    } else if (type == "error") {
      failed = daemon_error(500, nlohmann::json{{"error", line["error"]}}.dump());
    }
  });
  if (!s) return report_error(s.error(), f.json);
  if (failed) return report_error(*failed, f.json);
  if (result.is_null()) return report_error(make_error(ErrorCode::io_error, "the daemon's stream ended without a result"), f.json);
  if (f.json) print_json(result);
  const std::string verdict = result.contains("gate") ? result["gate"].value("verdict", "") : "";
  if (verdict == "block") return 87;
  if (verdict == "quarantine") return 88;
  if (result.contains("exit_code") && result["exit_code"].is_number()) return result["exit_code"].get<int>();
  if (result.contains("signal") && result["signal"].is_number()) return 128 + result["signal"].get<int>();
  return 127;
}

// ID:PATH is inside the session; anything else is a local file ("-": stdin/stdout).
bool split_remote(const std::string& s, std::string& id, std::string& path) {
  const auto colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || s.rfind("kv-", 0) != 0) return false;
  id = s.substr(0, colon);
  path = s.substr(colon + 1);
  return true;
}

int copy(const SessionFlags& f) {
  auto c = client(f);
  if (!c) return report_error(c.error(), f.json);
  std::string id;
  std::string path;
  if (split_remote(f.src, id, path)) {  // download
    auto r = c->call("GET", "/v1/sessions/" + id + "/files?path=" + percent_encode(path));
    if (!r) return report_error(r.error(), f.json);
    std::string content = r->contains("content_b64") ? from_base64(r->value("content_b64", "")).value_or("")
                                                    : r->value("content", "");
    if (f.dst == "-") {
      std::fwrite(content.data(), 1, content.size(), stdout);
    } else {
      std::ofstream out(f.dst, std::ios::binary | std::ios::trunc);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      if (!out) return report_error(make_error(ErrorCode::io_error, "writing " + f.dst), f.json);
    }
    if (f.json) print_json(*r);
    return 0;
  }
  if (!split_remote(f.dst, id, path)) {
    return report_error(make_error(ErrorCode::invalid_argument, "one side of cp must be SESSION_ID:PATH"), f.json);
  }
  std::string data;
  if (f.src == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(f.src, std::ios::binary);
    if (!in) return report_error(make_error(ErrorCode::path_not_found, "cannot read " + f.src, {{"path", f.src}}), f.json);
    std::ostringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  auto a = c->request("PUT", "/v1/sessions/" + id + "/files?path=" + percent_encode(path), data,
                      "application/octet-stream");
  if (!a) return report_error(a.error(), f.json);
  if (a->status >= 400) return report_error(daemon_error(a->status, a->body), f.json);
  if (f.json) print_json(nlohmann::json::parse(a->body, nullptr, false));
  return 0;
}

}  // namespace

void register_session(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<SessionFlags>();
  CLI::App* cmd = app.add_subcommand("session", "sessions held by kavach daemon: create, exec, cp, ls, pause, rm");
  cmd->require_subcommand(1);
  cmd->add_option("--socket", f->socket, "the daemon's socket (default: $KAVACH_HOST, then the daemon's default)")
      ->type_name("PATH");
  cmd->add_flag("--json", f->json, "JSON output");

  cmd->fallthrough();  // --json and --socket may follow the verb too
  CLI::App* c = cmd->add_subcommand("create", "open a session; prints its id");
  c->add_option("--backend", f->backend, "process (default), oci, gvisor");
  c->add_option("--preset", f->preset, "policy preset (default agent)");
  c->add_option("--rw", f->rw, "host directory writable inside (repeatable)")->type_name("PATH")->allow_extra_args(false);
  c->add_option("--ro", f->ro, "host path read-only inside (repeatable)")->type_name("PATH")->allow_extra_args(false);
  c->add_option("--idle-timeout-ms", f->idle_timeout_ms, "end after this long without an exec (0: never)")
      ->each([f](const std::string&) { f->idle_set = true; });
  c->add_option("--max-lifetime-ms", f->max_lifetime_ms, "the session's whole life");
  c->add_flag("--no-gate", f->no_gate, "release output unscanned (audited)");
  c->fallthrough();
  c->callback([f, &exit_code] { exit_code = create(*f); });

  CLI::App* e = cmd->add_subcommand("exec", "run a command in a session; output streams, exit status is the command's");
  e->add_option("id", f->id, "session id")->required();
  e->add_option("command", f->command, "the command (after --)")->required();
  e->fallthrough();
  e->callback([f, &exit_code] { exit_code = exec(*f); });

  CLI::App* cp = cmd->add_subcommand("cp", "copy a file in (LOCAL ID:PATH) or out through the gate (ID:PATH LOCAL); - is stdin/stdout");
  cp->add_option("src", f->src, "source")->required();
  cp->add_option("dst", f->dst, "destination")->required();
  cp->fallthrough();
  cp->callback([f, &exit_code] { exit_code = copy(*f); });

  CLI::App* ls = cmd->add_subcommand("ls", "list your sessions");
  ls->fallthrough();
  ls->callback([f, &exit_code] {
    auto cl = client(*f);
    if (!cl) {
      exit_code = report_error(cl.error(), f->json);
      return;
    }
    exit_code = done(cl->call("GET", "/v1/sessions"), *f, [](const nlohmann::json& j) {
      for (const auto& s : j["sessions"]) print_session_line(s);
    });
  });

  for (const char* verb : {"inspect", "pause", "resume", "rm"}) {
    const std::string v = verb;
    const char* help = v == "inspect" ? "state and metrics of a session"
                       : v == "pause" ? "stop every process of a session (SIGSTOP)"
                       : v == "resume" ? "continue a paused session"
                                        : "destroy a session (its whole tree)";
    CLI::App* sub = cmd->add_subcommand(verb, help);
    sub->add_option("id", f->id, "session id")->required();
    sub->fallthrough();
    sub->callback([f, v, &exit_code] {
      auto cl = client(*f);
      if (!cl) {
        exit_code = report_error(cl.error(), f->json);
        return;
      }
      const std::string target = "/v1/sessions/" + f->id + (v == "pause" || v == "resume" ? "/" + v : "");
      const char* method = v == "inspect" ? "GET" : v == "rm" ? "DELETE" : "POST";
      exit_code = done(cl->call(method, target), *f, [v](const nlohmann::json& s) {
        if (v == "rm") {
          std::printf("%s destroyed\n", s.value("id", "").c_str());
        } else if (v == "inspect") {
          std::printf("%s\n", s.dump(2).c_str());
        } else {
          print_session_line(s);
        }
      });
    });
  }
}

}  // namespace kavach::cli
