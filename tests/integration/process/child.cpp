#include "child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace kavach::testing {

std::string ChildResult::describe() const {
  std::ostringstream s;
  if (exited) s << "exit " << exit_code;
  else s << "signal " << signal << " (" << strsignal(signal) << ")";
  s << ", output:\n" << output;
  return s.str();
}

ChildResult run_in_child(const std::function<int()>& body, unsigned timeout_seconds) {
  ChildResult r;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return r;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    setsid();
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    alarm(timeout_seconds);
    const int code = body();
    std::fflush(nullptr);
    _exit(code);
  }
  close(fds[1]);
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (r.output.size() < (1U << 20)) r.output.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  return r;
}

int errno_of(long rc) { return rc < 0 ? errno : 0; }

std::map<std::string, int> parse_probe_lines(const std::string& output) {
  std::map<std::string, int> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos || line.rfind("probe:", 0) != 0) continue;
    out[line.substr(6, eq - 6)] = std::stoi(line.substr(eq + 1));
  }
  return out;
}

void print_probe_line(const std::string& name, int err) {
  std::printf("probe:%s=%d\n", name.c_str(), err);
  std::fflush(stdout);
}

}  // namespace kavach::testing
