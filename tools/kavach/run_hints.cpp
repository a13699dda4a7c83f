#include "run_hints.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cli_common.hpp"
#include "program_interp.hpp"
#include "exit_codes.hpp"

namespace kavach::cli {
namespace fs = std::filesystem;

namespace {

// The process backend's search path when the sandbox has no PATH.
constexpr const char* kDefaultSearchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool under(const fs::path& path, const fs::path& root) {
  const auto rel = path.lexically_normal().lexically_relative(root.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string path_list(const std::vector<fs::path>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : ", ") + p.string();
  return "[" + out + "]";
}

bool own_root(const SandboxPolicy& p) { return !p.oci.rootfs.empty() || !p.oci.image.empty(); }

fs::path sandbox_cwd(const SandboxPolicy& p) { return p.fs.workdir.empty() ? fs::path("/") : p.fs.workdir; }

// A directory the user can pass to --ro: its own name on the host (--ro resolves symlinks, so a
// symlinked directory like /lib64 -> usr/lib64 would be mounted only under its target's name).
bool mountable_as_named(const fs::path& dir) {
  std::error_code ec;
  return fs::canonical(dir, ec) == dir && !ec;
}

// What is missing for `program` (a host file the sandbox sees) to start: its interpreter chain.
std::string interpreter_hint(const SandboxPolicy& p, const fs::path& program) {
  fs::path current = program;
  for (int depth = 0; depth < 4; ++depth) {
    const std::string interp = program_interpreter(current);
    if (interp.empty()) return {};
    const fs::path ip(interp);
    std::error_code ec;
    if (!fs::exists(ip, ec)) {
      return current.string() + " names the interpreter " + interp + ", which does not exist on the host either";
    }
    if (!visible_in_sandbox(p, ip)) {
      const fs::path dir = ip.parent_path();
      std::string hint = current.string() + " needs its interpreter " + interp +
                         " (the ELF loader or #! line), which the sandbox does not see: fs.readonly_paths is " +
                         path_list(p.fs.readonly_paths) + ".\nAdd " + dir.string() +
                         " to fs.readonly_paths in the policy, or extend the preset's list with "
                         "fs.readonly_paths_add instead of replacing it";
      if (mountable_as_named(dir)) hint += ", or pass --ro " + dir.string();
      return hint;
    }
    current = ip;
  }
  return {};
}

// argv[0] as the host would find it on the sandbox's search path.
fs::path find_on_host(const std::string& prog, const std::string& search) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = search.find(':', start);
    const std::string dir = search.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && dir.front() == '/') {
      const fs::path candidate = fs::path(dir) / prog;
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) return {};
    start = colon + 1;
  }
}

}  // namespace

bool visible_in_sandbox(const SandboxPolicy& p, const fs::path& host_path) {
  for (const auto* list : {&p.fs.readonly_paths, &p.fs.writable_paths}) {
    for (const auto& root : *list) {
      std::error_code ec;
      const fs::path real = fs::canonical(root, ec);
      if (under(host_path, root) || (!ec && under(host_path, real))) return true;
    }
  }
  return false;
}

std::string sandbox_search_path(const SandboxPolicy& p, const Command& cmd) {
  for (const auto& [name, value] : cmd.env) {
    if (name == "PATH") return value;
  }
  if (std::find(p.env_allow.begin(), p.env_allow.end(), "PATH") != p.env_allow.end()) {
    if (const char* host = std::getenv("PATH"); host != nullptr) return host;
  }
  return kDefaultSearchPath;
}

std::string exec_failure_hint(const SandboxPolicy& p, const Command& cmd, int error_number,
                              const fs::path& host_cwd) {
  if (cmd.argv.empty() || own_root(p)) return {};
  const std::string& prog = cmd.argv.front();
  fs::path program;
  if (prog.find('/') != std::string::npos) {
    const fs::path inside = fs::path(prog).is_absolute() ? fs::path(prog) : sandbox_cwd(p) / prog;
    std::error_code ec;
    if (fs::exists(inside, ec) && visible_in_sandbox(p, inside)) {
      program = inside;
    } else {
      const auto hidden = hidden_path_hints(p, {prog}, host_cwd);
      if (!hidden.empty()) return hidden.front();
      return in_quotes(prog) + " does not exist in the sandbox (nor at " + (host_cwd / prog).lexically_normal().string() +
             " on the host)";
    }
  } else {
    const std::string search = sandbox_search_path(p, cmd);
    program = find_on_host(prog, search);
    if (program.empty()) {
      return in_quotes(prog) + " is in no directory of the sandbox's PATH, on the host either: check the name; a "
             "program elsewhere needs its directory mounted (--ro DIR) and its full path";
    }
    if (!visible_in_sandbox(p, program)) {
      return in_quotes(prog) + " is " + program.string() + " on the host, but the sandbox does not see " +
             program.parent_path().string() + ": add --ro " + program.parent_path().string();
    }
  }
  if (error_number == EACCES) {
    return program.string() + " is not executable for the sandbox's user (mode bits, or a noexec mount): "
                              "chmod +x it, or run it through its interpreter";
  }
  if (std::string h = interpreter_hint(p, program); !h.empty()) return h;
  return {};
}

std::vector<std::string> hidden_path_hints(const SandboxPolicy& p, const std::vector<std::string>& argv,
                                           const fs::path& host_cwd) {
  std::vector<std::string> hints;
  if (own_root(p)) return hints;
  std::set<std::string> dirs;
  const fs::path cwd_inside = sandbox_cwd(p);
  for (std::size_t i = 0; i < argv.size() && hints.size() < 3; ++i) {
    const std::string& arg = argv[i];
    if (arg.empty() || arg.front() == '-' || (i == 0 && arg.find('/') == std::string::npos)) continue;
    const fs::path given(arg);
    const fs::path host = (given.is_absolute() ? given : host_cwd / given).lexically_normal();
    std::error_code ec;
    if (host.string().size() <= 1 || !fs::exists(host, ec)) continue;
    const bool relative = !given.is_absolute();
    const bool seen = visible_in_sandbox(p, host);
    if (seen && (!relative || cwd_inside.lexically_normal() == host_cwd.lexically_normal())) continue;
    const fs::path dir = relative ? host_cwd : (fs::is_directory(host, ec) ? host : host.parent_path());
    if (!dirs.insert(dir.string()).second) continue;
    if (!seen) {
      std::string h = in_quotes(arg) + " is " + host.string() + " on the host, which the sandbox does not see (" +
                      dir.string() + " is not mounted). Mount it: --ro " + dir.string();
      if (relative) h += " --cwd " + dir.string() + " (or --rw " + dir.string() + ", also the working directory)";
      hints.push_back(std::move(h));
    } else {
      hints.push_back(in_quotes(arg) + " resolves against the sandbox's working directory " + cwd_inside.string() +
                      ", not " + host_cwd.string() + ": add --cwd " + host_cwd.string());
    }
  }
  return hints;
}

// What to change when the command failed for a reason outside it (a path not mounted, a
// missing interpreter); empty for a command that did what it does.
std::vector<std::string> run_failure_hints(const RunReport& rep, const SandboxPolicy& policy, const Command& cmd) {
  std::error_code ec;
  const fs::path host_cwd = fs::current_path(ec);
  const ExecResult& r = rep.result;
  std::vector<std::string> hints;
  if (r.setup_failure) {
    if (auto h = exec_failure_hint(policy, cmd, r.setup_failure->error_number, host_cwd); !h.empty()) {
      hints.push_back(std::move(h));
    }
    if (hints.empty()) hints.emplace_back("kavach run -v shows the mount plan and each set-up stage");
  } else if (shell_status(r) == 0 || r.timed_out || r.oom_killed) {
    return hints;
  }
  for (auto& h : hidden_path_hints(policy, cmd.argv, host_cwd)) {
    if (std::find(hints.begin(), hints.end(), h) == hints.end()) hints.push_back(std::move(h));
  }
  return hints;
}

// A set-up error from the backend, with where to look next.
Error with_setup_hint(Error e, const SandboxPolicy& policy) {
  if (e.context.count("hint") != 0 || e.code != ErrorCode::setup_failed) return e;
  const auto stage = e.context.find("stage");
  const auto err = e.context.find("errno");
  if (stage != e.context.end() && stage->second == "workdir" && err != e.context.end() &&
      err->second == std::to_string(EACCES)) {
    return with_hint(std::move(e), "the sandbox's user is not its owner: a read-only (--ro) directory must be "
                                   "readable and searchable by others (chmod o+rx on it and its parents); a --rw "
                                   "directory is mapped to its owner");
  }
  if (stage != e.context.end() && stage->second == "workdir") {
    return with_hint(std::move(e), "the working directory " + policy.fs.workdir.string() +
                                       " must exist on the host inside a mounted path (--rw/--ro); "
                                       "kavach run -v shows the mount plan");
  }
  return with_hint(std::move(e), "kavach run -v shows the mount plan and each set-up stage");
}

}  // namespace kavach::cli
