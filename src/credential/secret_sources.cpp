#include "credential/secret_sources.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kavach/credential.hpp"

extern char** environ;  // NOLINT: POSIX global, passed to the secret command unchanged

namespace kavach::detail {
namespace {

// `reason` (context key "reason"): unreadable_source, empty_source or too_large.
Error secret_failure(std::string_view name, std::string_view source, const std::string& what,
                     std::string_view reason = kReasonUnreadableSource) {
  return make_error(ErrorCode::secret_error, "secret '" + std::string(name) + "': " + what,
                    {{"secret", std::string(name)}, {"source", std::string(source)}, {"reason", std::string(reason)}});
}

// Reads `fd` to EOF into `out`; fails past kMaxSecretBytes. Returns errno on a read error.
enum class ReadOutcome { ok, too_large, error };
ReadOutcome read_all(int fd, SecureBuffer& out, int& err) {
  constexpr std::size_t kChunk = 4096;
  for (;;) {
    auto dst = out.reserve(kChunk);
    if (!dst) {
      err = ENOMEM;
      return ReadOutcome::error;
    }
    const ssize_t n = ::read(fd, *dst, kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      return ReadOutcome::error;
    }
    if (n == 0) return ReadOutcome::ok;
    out.commit(static_cast<std::size_t>(n));
    if (out.size() > kMaxSecretBytes) return ReadOutcome::too_large;
  }
}

std::string too_large_message() {
  return "value is larger than " + std::to_string(kMaxSecretBytes) + " bytes";
}

}  // namespace

void strip_trailing_newlines(SecureBuffer& value) {
  std::size_t n = value.size();
  const std::string_view v = value.view();
  while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r')) --n;
  value.truncate(n);
}

Result<SecureBuffer> read_env_secret(std::string_view name, std::string_view host_var) {
  const std::string source = "env:" + std::string(host_var);
  const char* v = std::getenv(std::string(host_var).c_str());
  if (v == nullptr) {
    return tl::unexpected(secret_failure(
        name, source, "host environment variable " + std::string(host_var) + " is not set"));
  }
  const std::size_t len = std::strlen(v);
  if (len == 0) {
    return tl::unexpected(secret_failure(
        name, source, "host environment variable " + std::string(host_var) + " is empty", kReasonEmptySource));
  }
  if (len > kMaxSecretBytes) return tl::unexpected(secret_failure(name, source, too_large_message(), kReasonTooLarge));
  auto buf = SecureBuffer::copy_of({v, len});
  if (!buf) return tl::unexpected(secret_failure(name, source, buf.error().message));
  return buf;
}

Result<SecureBuffer> read_file_secret(std::string_view name, const std::filesystem::path& host_path) {
  const std::string source = "file:" + host_path.string();
  // Pipes are allowed so `file:<(pass show x)` works; directories fail at read (EISDIR).
  const int fd = ::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int e = errno;
    return tl::unexpected(secret_failure(
        name, source, "cannot open " + host_path.string() + ": " + std::strerror(e)));
  }
  auto buf = SecureBuffer::with_capacity(4096);
  if (!buf) {
    ::close(fd);
    return tl::unexpected(secret_failure(name, source, buf.error().message));
  }
  int err = 0;
  const ReadOutcome r = read_all(fd, *buf, err);
  ::close(fd);
  if (r == ReadOutcome::error) {
    return tl::unexpected(secret_failure(
        name, source, "cannot read " + host_path.string() + ": " + std::strerror(err)));
  }
  if (r == ReadOutcome::too_large) return tl::unexpected(secret_failure(name, source, too_large_message(), kReasonTooLarge));
  strip_trailing_newlines(*buf);
  if (buf->empty()) {
    return tl::unexpected(secret_failure(name, source, "file " + host_path.string() + " is empty", kReasonEmptySource));
  }
  return buf;
}

Result<SecureBuffer> read_command_secret(std::string_view name, std::string_view command) {
  const std::string source = "cmd";
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    const int e = errno;
    return tl::unexpected(secret_failure(name, source, std::string("pipe: ") + std::strerror(e)));
  }
  // posix_spawn: no code of ours runs in the child. stdin and stderr are inherited so that
  // interactive helpers (pass, gpg pinentry) work; only stdout is captured.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::string cmd(command);
  char sh[] = "/bin/sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, cmd.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return tl::unexpected(
        secret_failure(name, source, std::string("cannot start /bin/sh: ") + std::strerror(rc)));
  }
  auto buf = SecureBuffer::with_capacity(4096);
  int err = 0;
  ReadOutcome r = ReadOutcome::error;
  if (buf) r = read_all(pipe_fds[0], *buf, err);
  ::close(pipe_fds[0]);  // a command still writing gets SIGPIPE
  if (r == ReadOutcome::too_large) (void)::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!buf) return tl::unexpected(secret_failure(name, source, buf.error().message));
  if (r == ReadOutcome::too_large) return tl::unexpected(secret_failure(name, source, too_large_message(), kReasonTooLarge));
  if (r == ReadOutcome::error) {
    return tl::unexpected(secret_failure(
        name, source, std::string("cannot read the command's output: ") + std::strerror(err)));
  }
  if (WIFSIGNALED(status)) {
    return tl::unexpected(secret_failure(
        name, source, "command `" + cmd + "` was killed by signal " + std::to_string(WTERMSIG(status))));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return tl::unexpected(secret_failure(
        name, source, "command `" + cmd + "` exited with status " + std::to_string(WEXITSTATUS(status))));
  }
  strip_trailing_newlines(*buf);
  if (buf->empty()) {
    return tl::unexpected(secret_failure(name, source, "command `" + cmd + "` printed nothing", kReasonEmptySource));
  }
  return buf;
}

}  // namespace kavach::detail
