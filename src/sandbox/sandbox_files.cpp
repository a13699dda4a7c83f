// Files in and out of a sandbox's writable paths, done by kavach on the host without following
// anything the sandbox could have planted (links, other mounts, hard links, FIFOs); out through
// the gate exactly like the command's output (docs/gate.md, "Files out").
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kavach/sandbox.hpp"
#include "core/filesystem_view.hpp"
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

// A path inside the sandbox in one of its writable paths: those are host directories shown at
// their real paths (common::resolve_host_paths), so the path inside is the path on the host.
struct WritablePath {
  fs::path in_sandbox;  // absolute, normalised
  fs::path root;        // the innermost writable path holding it
  std::string rel;      // below root
};

Result<WritablePath> in_writable(const SandboxPolicy& p, const fs::path& path, const char* what) {
  const fs::path workdir = p.fs.workdir.empty() ? fs::path("/") : p.fs.workdir;
  WritablePath w{(path.is_absolute() ? path : workdir / path).lexically_normal(), {}, {}};
  for (const auto& dir : p.fs.writable_paths) {
    std::error_code ec;
    const fs::path real = fs::canonical(dir, ec);
    if (!ec && is_under(w.in_sandbox, real) && real.string().size() > w.root.string().size()) w.root = real;
  }
  if (w.root.empty()) {
    return fail(ErrorCode::invalid_argument,
                std::string(what) + " " + w.in_sandbox.string() + ": not inside a writable path",
                {{"path", w.in_sandbox.string()}});
  }
  w.rel = w.in_sandbox.lexically_relative(w.root).string();
  return w;
}

// openat2 beneath `dir`: no symbolic link, no magic link, no other mount on the way (a link the
// command left could name any host file); errors say which.
Result<int> open_beneath(int dir, const std::string& rel, std::uint64_t flags, std::uint64_t mode,
                         const std::string& what, const fs::path& shown) {
  open_how how{};
  how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
  how.mode = mode;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  const int fd = static_cast<int>(::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how));
  if (fd >= 0) return fd;
  const int e = errno;
  return fail(e == ENOENT || e == ENOTDIR ? ErrorCode::path_not_found : ErrorCode::invalid_argument,
              what + " " + shown.string() + ": " +
                  (e == ELOOP || e == EXDEV ? "a symbolic link or another mount on the way; refused" : std::string(std::strerror(e))),
              {{"path", shown.string()}, {"errno", std::to_string(e)}});
}

// A regular file with one name: a second name could be a host file hard-linked in.
Result<struct stat> plain_file(int fd, const std::string& what, const fs::path& shown) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(ErrorCode::invalid_argument, what + " " + shown.string() + ": not a regular file", {{"path", shown.string()}});
  }
  if (st.st_nlink > 1) {
    return fail(ErrorCode::invalid_argument,
                what + " " + shown.string() + ": the file has " + std::to_string(st.st_nlink) + " names (hard links); refused",
                {{"path", shown.string()}});
  }
  return st;
}

}  // namespace

Result<ExportedFile> Sandbox::export_file(const fs::path& path) {
  if (state_ == State::destroyed) return fail(ErrorCode::invalid_transition, "the sandbox is destroyed");
  const SandboxPolicy& p = config_.policy;
  auto w = in_writable(p, path, "export");
  if (!w) return tl::unexpected(w.error());
  const fs::path& in_sandbox = w->in_sandbox;
  Fd dir{::open(w->root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) return fail(ErrorCode::io_error, "export: cannot open " + w->root.string() + ": " + std::strerror(errno));
  // O_NONBLOCK: a FIFO cannot make kavach wait.
  auto opened = open_beneath(dir.fd, w->rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, "export", in_sandbox);
  if (!opened) return tl::unexpected(opened.error());
  Fd file{*opened};
  auto plain = plain_file(file.fd, "export", in_sandbox);
  if (!plain) return tl::unexpected(plain.error());
  const struct stat& st = *plain;
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
  if (auto gate_open = open_gate(g); !gate_open) return tl::unexpected(gate_open.error());
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

Result<void> Sandbox::import_file(const fs::path& path, std::string_view data, unsigned mode) {
  if (state_ == State::destroyed) return fail(ErrorCode::invalid_transition, "the sandbox is destroyed");
  const SandboxPolicy& p = config_.policy;
  auto w = in_writable(p, path, "import");
  if (!w) return tl::unexpected(w.error());
  if (data.size() > p.limits.output_bytes) {
    return fail(ErrorCode::output_too_large,
                "import " + w->in_sandbox.string() + ": " + std::to_string(data.size()) + " bytes, over the limit of " +
                    std::to_string(p.limits.output_bytes) + " (limits.output_bytes)",
                {{"path", w->in_sandbox.string()}});
  }
  Fd root{::open(w->root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)};
  if (root.fd < 0) return fail(ErrorCode::io_error, "import: cannot open " + w->root.string() + ": " + std::strerror(errno));
  struct stat owner {};
  if (::fstat(root.fd, &owner) != 0) return fail(ErrorCode::io_error, "import: " + w->root.string() + ": " + std::strerror(errno));
  // The file is opened without truncating, checked, then cut: a hard link the command planted
  // must not let this write reach another file.
  auto opened = open_beneath(root.fd, w->rel, O_WRONLY | O_CREAT | O_NONBLOCK | O_NOCTTY, mode & 0777u, "import",
                             w->in_sandbox);
  if (!opened) return tl::unexpected(opened.error());
  Fd file{*opened};
  if (auto plain = plain_file(file.fd, "import", w->in_sandbox); !plain) return tl::unexpected(plain.error());
  // Owned like the writable path itself, so the sandbox's user can change it (it is that owner
  // inside, through the idmapping).
  if (::ftruncate(file.fd, 0) != 0 || ::fchown(file.fd, owner.st_uid, owner.st_gid) != 0 ||
      ::fchmod(file.fd, mode & 0777u) != 0) {
    return fail(ErrorCode::io_error, "import " + w->in_sandbox.string() + ": " + std::strerror(errno));
  }
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(file.fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorCode::io_error, "import " + w->in_sandbox.string() + ": " + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  emit(AuditEventType::file_imported, {{"path", w->in_sandbox.string()}, {"bytes", data.size()}});
  return {};
}

}  // namespace kavach
