#include "daemon/api.hpp"

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>
#include <vector>

#include "core/json_bytes.hpp"
#include "kavach/gate.hpp"
#include "kavach/json.hpp"
#include "sandbox/request_json.hpp"

namespace kavach::daemon {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

// "/a/b?x=1" -> path segments {"a","b"} and the raw query.
struct Target {
  std::vector<std::string> segments;
  std::string query;
};

Target split_target(std::string_view t) {
  Target out;
  const auto q = t.find('?');
  if (q != std::string_view::npos) {
    out.query = std::string(t.substr(q + 1));
    t = t.substr(0, q);
  }
  std::size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && t[i] == '/') ++i;
    const std::size_t j = t.find('/', i);
    const std::string_view seg = t.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    if (!seg.empty()) out.segments.emplace_back(seg);
    if (j == std::string_view::npos) break;
    i = j;
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One query parameter, percent-decoded (RFC 3986); nullopt when absent or badly encoded.
std::optional<std::string> query_param(const std::string& query, const std::string& name) {
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t amp = query.find('&', i);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(i, amp - i);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string::npos) {
      std::string out;
      const std::string v = pair.substr(eq + 1);
      for (std::size_t k = 0; k < v.size(); ++k) {
        if (v[k] == '%') {
          if (k + 2 >= v.size()) return std::nullopt;
          const int hi = hex_digit(v[k + 1]);
          const int lo = hex_digit(v[k + 2]);
          if (hi < 0 || lo < 0) return std::nullopt;
          out += static_cast<char>(hi * 16 + lo);
          k += 2;
        } else {
          out += v[k] == '+' ? ' ' : v[k];
        }
      }
      return out;
    }
    i = amp + 1;
  }
  return std::nullopt;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A daemon running as root must not lend its reach to a caller that is not: its session sees
// only host paths the caller could reach itself (every ancestor searchable, read-only paths
// readable, writable ones its own), never the daemon's environment beyond the harmless names,
// and never runs without the user namespace that maps it to an unprivileged host id.
bool may(const struct stat& st, const Peer& peer, mode_t owner_bit, mode_t group_bit, mode_t other_bit) {
  if (st.st_uid == peer.uid) return (st.st_mode & owner_bit) != 0;
  if (st.st_gid == peer.gid) return (st.st_mode & group_bit) != 0;
  return (st.st_mode & other_bit) != 0;
}

std::optional<std::string> unreachable(const std::filesystem::path& p, const Peer& peer, bool writable) {
  std::error_code ec;
  const std::filesystem::path real = std::filesystem::canonical(p, ec);
  if (ec) return std::nullopt;  // missing: the backend reports it with its own error
  for (std::filesystem::path dir = real.parent_path();; dir = dir.parent_path()) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !may(st, peer, S_IXUSR, S_IXGRP, S_IXOTH)) {
      return dir.string() + " is not searchable by uid " + std::to_string(peer.uid);
    }
    if (dir == dir.parent_path()) break;
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return std::nullopt;
  if (writable && st.st_uid != peer.uid) return "writable path " + real.string() + " is not owned by uid " + std::to_string(peer.uid);
  if (!writable && !may(st, peer, S_IRUSR, S_IRGRP, S_IROTH)) {
    return "read-only path " + real.string() + " is not readable by uid " + std::to_string(peer.uid);
  }
  return std::nullopt;
}

std::optional<std::string> refused_for_peer(const SandboxPolicy& p, const Peer& peer) {
  if (peer.uid == 0) return std::nullopt;
  for (Control c : {Control::ns_user, Control::unprivileged_uid}) {
    if (p.may_degrade.count(c) != 0) {
      return "may_degrade may not list " + std::string(to_string(c)) + " for a caller that is not root";
    }
  }
  static const std::set<std::string> kHarmless = {"PATH", "LANG", "LC_ALL", "TERM", "HOME"};
  for (const auto& name : p.env_allow) {
    if (kHarmless.count(name) == 0) {
      return "env_allow passes the daemon's own variables: only PATH, LANG, LC_ALL, TERM and HOME for a caller "
             "that is not root (" + name + "); give values in the exec's env instead";
    }
  }
  for (const auto& w : p.fs.writable_paths) {
    if (auto why = unreachable(w, peer, true)) return why;
  }
  for (const auto& r : p.fs.readonly_paths) {
    if (auto why = unreachable(r, peer, false)) return why;
  }
  for (const auto* r : {&p.oci.rootfs, &p.oci.image}) {
    if (!r->empty()) {
      if (auto why = unreachable(*r, peer, false)) return why;
    }
  }
  return std::nullopt;
}

// Live output of a streamed exec as JSON lines; a client that went away stops the command
// unless the request said "on_disconnect": "keep".
class StreamSink final : public OutputSink {
 public:
  StreamSink(Responder& out, bool keep) : out_(out), keep_(keep) {}
  bool on_output(OutputStream s, std::string_view bytes) override {
    if (gone_) return keep_;
    json line{{"type", std::string(to_string(s))}};
    if (is_valid_utf8(bytes)) line["data"] = std::string(bytes);
    else line["data_b64"] = base64(bytes);
    if (!out_.chunk(dump_json(line) + "\n")) gone_ = true;
    return !gone_ || keep_;
  }
  bool still_wanted() override {
    if (!gone_ && out_.client_gone()) gone_ = true;
    return !gone_ || keep_;
  }
  [[nodiscard]] bool gone() const { return gone_; }

 private:
  Responder& out_;
  bool keep_;
  bool gone_ = false;
};

}  // namespace

int Api::http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
    case ErrorCode::policy_parse:
    case ErrorCode::policy_unknown_key:
    case ErrorCode::policy_type:
    case ErrorCode::policy_value:
    case ErrorCode::unknown_syscall:
    case ErrorCode::path_not_absolute:
    case ErrorCode::path_not_found:
    case ErrorCode::unknown_preset:
    case ErrorCode::unknown_backend:
    case ErrorCode::policy_conflict:
    case ErrorCode::secret_error:
      return 400;
    case ErrorCode::output_blocked:
      return 403;
    case ErrorCode::invalid_transition:
    case ErrorCode::output_quarantined:
      return 409;
    case ErrorCode::output_too_large:
      return 413;
    case ErrorCode::control_unavailable:
      return 422;
    case ErrorCode::backend_unavailable:
    case ErrorCode::runtime_missing:
      return 503;
    default:
      return 500;
  }
}

void Api::reply(Responder& out, int status, const nlohmann::json& body) {
  metrics_.request(status);
  out.send(status, "application/json", dump_json(body) + "\n");
}

void Api::error(Responder& out, int status, const std::string& code, const std::string& message) {
  metrics_.failure(code);
  reply(out, status, {{"error", {{"code", code}, {"message", message}, {"context", json::object()}}}});
}

void Api::fail_with(Responder& out, const Error& e) {
  metrics_.failure(std::string(to_string(e.code)));
  reply(out, http_status(e.code), error_json(e));
}

json Api::describe(SessionEntry& e, bool with_metrics) {
  Session& s = *e.session;
  json j{{"id", s.id()},
         {"owner_uid", e.owner},
         {"backend", e.backend},
         {"policy", e.policy},
         {"created_at", iso_time(e.created)},
         {"state", !s.alive() ? "ended" : s.paused() ? "paused" : "running"},
         {"start", e.pooled ? "warm" : "cold"}};
  const std::string why = s.end_reason();
  if (!why.empty()) j["end_reason"] = why;
  if (with_metrics && s.alive()) {
    if (auto m = s.metrics()) {
      j["metrics"] = {{"processes", m->processes},     {"stopped_processes", m->stopped_processes},
                      {"cpu_ms", m->cpu_ms},           {"rss_bytes", m->rss_bytes},
                      {"bytes_out", m->bytes_out},     {"execs", m->execs},
                      {"running_execs", m->running_execs}};
    }
  }
  return j;
}

void Api::handle(const Request& req, const Peer& peer, Responder& out) {
  const Target t = split_target(std::string_view(req.target().data(), req.target().size()));
  const auto method = req.method();
  const auto& seg = t.segments;
  if (seg.size() == 1 && seg[0] == "health") {
    if (method != http::verb::get) return error(out, 405, "method_not_allowed", "GET /health");
    const auto up = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    nlohmann::json health{{"status", "ok"}, {"version", version_}, {"sessions", registry_.size()}, {"uptime_s", up}};
    if (const SessionPool* pool = registry_.pool()) {
      health["pool"] = {{"size", pool->size()}, {"ready", pool->ready()}};
      if (auto e = pool->last_error(); !e.empty()) health["pool"]["error"] = e;
    }
    return reply(out, 200, health);
  }
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (method != http::verb::get) return error(out, 405, "method_not_allowed", "GET /metrics");
    metrics_.request(200);
    return out.send(200, "text/plain; version=0.0.4", metrics_.render(registry_.size(), connections_));
  }
  if (seg.size() < 2 || seg[0] != "v1" || seg[1] != "sessions") {
    return error(out, 404, "not_found", "no such endpoint: " + std::string(req.target()));
  }
  registry_.sweep();
  if (seg.size() == 2) {
    if (method == http::verb::post) return create_session(req, peer, out);
    if (method != http::verb::get) return error(out, 405, "method_not_allowed", "GET or POST /v1/sessions");
    json list = json::array();
    for (auto& e : registry_.list(peer.uid)) list.push_back(describe(*e, false));
    return reply(out, 200, {{"sessions", list}});
  }
  const std::string& id = seg[2];
  auto entry = registry_.find(id, peer.uid);
  if (!entry) return error(out, 404, "not_found", "no session " + id);
  if (seg.size() == 3) {
    if (method == http::verb::get) return reply(out, 200, describe(*entry, true));
    if (method == http::verb::delete_) {
      registry_.remove(id, peer.uid);
      return reply(out, 200, {{"id", id}, {"state", "destroyed"}});
    }
    return error(out, 405, "method_not_allowed", "GET or DELETE /v1/sessions/{id}");
  }
  if (seg.size() != 4) return error(out, 404, "not_found", "no such endpoint: " + std::string(req.target()));
  const std::string& action = seg[3];
  if (action == "exec") {
    if (method != http::verb::post) return error(out, 405, "method_not_allowed", "POST /v1/sessions/{id}/exec");
    return exec(req, *entry, out);
  }
  if (action == "pause" || action == "resume") {
    if (method != http::verb::post) return error(out, 405, "method_not_allowed", "POST /v1/sessions/{id}/" + action);
    auto r = action == "pause" ? entry->session->pause() : entry->session->resume();
    if (!r) return fail_with(out, r.error());
    return reply(out, 200, describe(*entry, false));
  }
  if (action == "files") {
    const auto path = query_param(t.query, "path");
    if (!path || path->empty()) return error(out, 400, "bad_request", "files need ?path=PATH (percent-encoded)");
    if (method == http::verb::put) return put_file(req, *entry, *path, out);
    if (method == http::verb::get) return get_file(*entry, *path, out);
    return error(out, 405, "method_not_allowed", "GET or PUT /v1/sessions/{id}/files?path=");
  }
  return error(out, 404, "not_found", "no such endpoint: " + std::string(req.target()));
}

void Api::create_session(const Request& req, const Peer& peer, Responder& out) {
  const std::string body = req.body().empty() ? "{}" : req.body();
  auto j = parse_object(body.c_str(), "request body");
  if (!j) return fail_with(out, j.error());
  SessionOptions options;
  for (const char* key : {"idle_timeout_ms", "max_lifetime_ms"}) {
    if (!j->contains(key)) continue;
    const json& v = (*j)[key];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 7ull * 24 * 3600 * 1000) {
      return error(out, 400, "invalid_argument", std::string(key) + " must be a whole number of ms up to one week");
    }
    (std::string(key) == "idle_timeout_ms" ? options.idle_timeout : options.max_lifetime) =
        std::chrono::milliseconds(v.get<std::uint64_t>());
  }
  if (options.max_lifetime.count() == 0) return error(out, 400, "invalid_argument", "max_lifetime_ms must be positive");
  auto config = config_from_json(*j, {"idle_timeout_ms", "max_lifetime_ms"});
  if (!config) return fail_with(out, config.error());
  if (auto why = refused_for_peer(config->policy.get(), peer)) return error(out, 403, "forbidden", *why);
  Registry::Refusal refusal;
  Error err;
  auto entry = registry_.create(peer.uid, std::move(*config), options, refusal, err);
  if (!entry && refusal.http_status != 0) return error(out, refusal.http_status, refusal.code, refusal.message);
  if (!entry) return fail_with(out, err);
  return reply(out, 201, describe(*entry, false));
}

void Api::exec(const Request& req, SessionEntry& e, Responder& out) {
  auto j = parse_object(req.body().c_str(), "request body");
  if (!j) return fail_with(out, j.error());
  bool stream = false;
  bool keep = false;
  if (j->contains("stream")) {
    if (!(*j)["stream"].is_boolean()) return error(out, 400, "invalid_argument", "stream must be true or false");
    stream = (*j)["stream"].get<bool>();
  }
  if (j->contains("on_disconnect")) {
    const json& v = (*j)["on_disconnect"];
    if (!v.is_string() || (v != "kill" && v != "keep")) {
      return error(out, 400, "invalid_argument", "on_disconnect must be \"kill\" or \"keep\"");
    }
    keep = v == "keep";
  }
  auto cmd = command_from_json(*j, {"stream", "on_disconnect"});
  if (!cmd) return fail_with(out, cmd.error());
  const auto t0 = std::chrono::steady_clock::now();
  auto finish = [&](const Result<RunReport>& r) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r) {
      metrics_.exec_finished(std::string(to_string(r->result.final_status())), secs);
      metrics_.gate_verdict(r->gate ? std::string(gate::to_string(r->gate->verdict)) : "disabled");
    } else {
      metrics_.exec_finished("error", secs);
    }
  };
  auto result_json = [&e](const RunReport& r) {
    json rj = to_json(r);
    rj["session_id"] = e.session->id();
    rj["backend"] = e.backend;
    rj["policy"] = e.policy;
    return rj;
  };
  if (!stream) {
    auto r = e.session->exec(*cmd);
    finish(r);
    if (!r) return fail_with(out, r.error());
    return reply(out, 200, result_json(*r));
  }
  metrics_.request(200);
  if (!out.begin_stream(200, "application/x-ndjson")) return;
  StreamSink sink(out, keep);
  cmd->output = &sink;
  auto r = e.session->exec(*cmd);
  finish(r);
  if (!sink.gone()) {
    json last = r ? json{{"type", "result"}, {"result", result_json(*r)}} : json{{"type", "error"}, {"error", error_json(r.error())["error"]}};
    (void)out.chunk(dump_json(last) + "\n");
  }
  out.end_stream();
}

void Api::put_file(const Request& req, SessionEntry& e, const std::string& path, Responder& out) {
  auto r = e.session->import_file(path, req.body());
  if (!r) return fail_with(out, r.error());
  return reply(out, 200, {{"path", path}, {"bytes", req.body().size()}});
}

void Api::get_file(SessionEntry& e, const std::string& path, Responder& out) {
  auto f = e.session->export_file(path);
  if (!f) return fail_with(out, f.error());
  metrics_.gate_verdict(f->gate ? std::string(gate::to_string(f->gate->verdict)) : "disabled");
  json fj = to_json(*f);
  if (f->release == OutputRelease::withheld || f->release == OutputRelease::quarantined) {
    const bool blocked = f->release == OutputRelease::withheld;
    fj.erase("content");
    fj.erase("content_b64");
    metrics_.failure(blocked ? "output_blocked" : "output_quarantined");
    return reply(out, blocked ? 403 : 409,
                {{"error",
                  {{"code", blocked ? "output_blocked" : "output_quarantined"},
                   {"message", blocked ? "the gate blocked this file: it is not released"
                                       : "the gate quarantined this file: it is kept for review, not released"},
                   {"context", json::object()}}},
                 {"file", fj}});
  }
  return reply(out, 200, fj);
}

}  // namespace kavach::daemon
