// The session channel: frames between kavach (the host side of a Session) and the session init
// (kavach-guard --session), which runs as the sandbox's long-lived command. The init's stdin
// carries requests, its stdout replies and the output of every command it started. Everything
// the init starts is its descendant, so it inherits the sandbox's namespaces, seccomp filter,
// Landlock domain, rlimits and capabilities: a session exec needs no second way in.
// Header-only and libc-only: the static init binary includes it.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace kavach::session_frames {

enum class Type : std::uint8_t {
  // host -> init
  start = 1,      // payload: strings (argv count, argv..., env count, env..., cwd)
  stdin_data = 2,
  stdin_eof = 3,
  signal = 4,     // payload: int32 signal, sent to the command's process group
  stats = 5,      // id ignored; answered with `stats_reply`
  freeze = 6,     // every process but the init (and its parents) gets SIGSTOP; answered `ack`
  thaw = 7,       // SIGCONT to the same; answered `ack`
  shutdown = 8,   // kill everything and leave (also on EOF of the init's stdin)
  // init -> host
  ready = 64,     // the init runs; payload: its pid inside the sandbox
  started = 65,   // payload: int32 pid
  failed = 66,    // payload: int32 errno, then a message
  out = 67,
  err = 68,
  exited = 69,    // payload: int32 wait status
  stats_reply = 70,  // payload: "pids=N stopped=N cpu_ticks=N rss_kib=N"
  ack = 71,
};

struct Header {
  std::uint8_t type = 0;
  std::uint8_t reserved[3] = {0, 0, 0};
  std::uint32_t id = 0;
  std::uint32_t length = 0;
};
static_assert(sizeof(Header) == 12);

// Frames larger than this are a protocol error (output is sent in pieces of at most 64 KiB).
inline constexpr std::uint32_t kMaxPayload = 4u << 20;

inline void append_frame(std::string& out, Type t, std::uint32_t id, std::string_view payload) {
  Header h;
  h.type = static_cast<std::uint8_t>(t);
  h.id = id;
  h.length = static_cast<std::uint32_t>(payload.size());
  out.append(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(payload.data(), payload.size());
}

inline std::string int_payload(std::int32_t v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); }

inline std::int32_t int_of(std::string_view payload) {
  std::int32_t v = 0;
  if (payload.size() >= sizeof v) std::memcpy(&v, payload.data(), sizeof v);
  return v;
}

// Incremental reader: feed bytes, take whole frames.
class Reader {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }
  // False when no whole frame is buffered; `bad` is set on a frame over kMaxPayload.
  bool next(Header& h, std::string& payload, bool& bad) {
    bad = false;
    if (buf_.size() - pos_ < sizeof(Header)) return compact(), false;
    std::memcpy(&h, buf_.data() + pos_, sizeof h);
    if (h.length > kMaxPayload) {
      bad = true;
      return false;
    }
    if (buf_.size() - pos_ < sizeof(Header) + h.length) return compact(), false;
    payload.assign(buf_.data() + pos_ + sizeof(Header), h.length);
    pos_ += sizeof(Header) + h.length;
    return true;
  }

 private:
  void compact() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }
  std::string buf_;
  std::size_t pos_ = 0;
};

// A start request: NUL-terminated strings, counts as decimal strings.
inline std::string encode_start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                const std::string& cwd) {
  std::string s;
  auto put = [&s](std::string_view v) {
    s.append(v.data(), v.size());
    s.push_back('\0');
  };
  put(std::to_string(argv.size()));
  for (const auto& a : argv) put(a);
  put(std::to_string(env.size()));
  for (const auto& e : env) put(e);
  put(cwd);
  return s;
}

}  // namespace kavach::session_frames
