// Files out of a sandbox: read on the host without following anything the sandbox could have
// planted, then through the gate exactly like the command's output (docs/gate.md, "Files out").
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kavach/sandbox.hpp"
#include "sandbox/gate_run.hpp"

namespace kavach {
namespace {

namespace fs = std::filesystem;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool is_under(const fs::path& p, const fs::path& root) {
  const auto rel = p.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

Result<ExportedFile> Sandbox::export_file(const fs::path& path) {
  if (state_ == State::destroyed) return fail(ErrorCode::invalid_transition, "the sandbox is destroyed");
  const SandboxPolicy& p = config_.policy;
  const fs::path in_sandbox = (path.is_absolute() ? path : (p.fs.workdir.empty() ? fs::path("/") : p.fs.workdir) / path)
                                  .lexically_normal();
  // Only what the sandbox could write: its writable paths are host directories shown at their
  // real paths (common::resolve_host_paths), so the path inside is the path on the host.
  fs::path root;
  for (const auto& w : p.fs.writable_paths) {
    std::error_code ec;
    const fs::path real = fs::canonical(w, ec);
    if (!ec && is_under(in_sandbox, real) && real.string().size() > root.string().size()) root = real;
  }
  if (root.empty()) {
    return fail(ErrorCode::invalid_argument,
                "export " + in_sandbox.string() + ": not inside a writable path (only what the sandbox could write is "
                "exported)", {{"path", in_sandbox.string()}});
  }
  // openat2 beneath the writable root: no symbolic link, no magic link, no other mount on the
  // way (a link the command left could name any host file); O_NONBLOCK, so a FIFO cannot hang us.
  Fd dir{::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) return fail(ErrorCode::io_error, "export: cannot open " + root.string() + ": " + std::strerror(errno));
  open_how how{};
  how.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  const std::string rel = in_sandbox.lexically_relative(root).string();
  Fd file{static_cast<int>(::syscall(SYS_openat2, dir.fd, rel.c_str(), &how, sizeof how))};
  if (file.fd < 0) {
    const int e = errno;
    const bool missing = e == ENOENT || e == ENOTDIR;
    return fail(missing ? ErrorCode::path_not_found : ErrorCode::invalid_argument,
                "export " + in_sandbox.string() + ": " +
                    (e == ELOOP || e == EXDEV ? "a symbolic link or another mount on the way; refused"
                                              : std::string(std::strerror(e))),
                {{"path", in_sandbox.string()}, {"errno", std::to_string(e)}});
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(ErrorCode::invalid_argument, "export " + in_sandbox.string() + ": not a regular file",
                {{"path", in_sandbox.string()}});
  }
  // A second name for the file could be a host file the command hard-linked in.
  if (st.st_nlink > 1) {
    return fail(ErrorCode::invalid_argument,
                "export " + in_sandbox.string() + ": the file has " + std::to_string(st.st_nlink) +
                    " names (hard links); refused", {{"path", in_sandbox.string()}});
  }
  const std::uint64_t limit = p.limits.output_bytes;
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    return fail(ErrorCode::output_too_large,
                "export " + in_sandbox.string() + ": " + std::to_string(st.st_size) + " bytes, over the limit of " +
                    std::to_string(limit) + " (limits.output_bytes)", {{"path", in_sandbox.string()}});
  }
  ExportedFile out;
  out.path = in_sandbox;
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(ErrorCode::io_error, "export " + in_sandbox.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > limit) return fail(ErrorCode::output_too_large, "export " + in_sandbox.string() + ": grew past the limit");
  }
  out.bytes = data.size();
  GateRun g;
  if (auto opened = open_gate(g); !opened) return tl::unexpected(opened.error());
  nlohmann::json ev{{"source", "export"}, {"path", in_sandbox.string()}, {"bytes", out.bytes}};
  if (!g.active) {
    out.release = OutputRelease::ungated;
    out.content = std::move(data);
    ev["verdict"] = "disabled";
  } else {
    auto redacted = g.session->scan(in_sandbox.string(), data);
    ::explicit_bzero(data.data(), data.size());
    if (!redacted) {
      ev["verdict"] = "error";
      ev["release"] = "withheld";
      ev["message"] = redacted.error().message;
      emit(AuditEventType::gate_verdict, std::move(ev));
      return tl::unexpected(redacted.error());
    }
    out.gate = g.session->report();
    const gate::Verdict v = out.gate->verdict;
    out.release = !g.rules_on                   ? OutputRelease::ungated
                  : v == gate::Verdict::block      ? OutputRelease::withheld
                  : v == gate::Verdict::quarantine ? OutputRelease::quarantined
                                                   : OutputRelease::released;
    if (out.release != OutputRelease::withheld) out.content = std::move(*redacted);
    ev["verdict"] = std::string(to_string(v));
    ev["findings"] = out.gate->findings.size();
  }
  ev["release"] = std::string(to_string(out.release));
  emit(AuditEventType::gate_verdict, std::move(ev));
  return out;
}

}  // namespace kavach
