#include "backends/process/command_args.hpp"

#include "backends/common/guard_launch.hpp"
#include "backends/process/child_plan.hpp"
#include "core/sandbox_environment.hpp"

#include <cstdlib>
#include <map>

namespace kavach::process {
namespace {

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

void CStringArray::push(std::string s) {
  strings_.push_back(std::move(s));
  ptrs_.back() = strings_.back().data();
  ptrs_.push_back(nullptr);
}

void CStringArray::clear() {
  strings_.clear();
  ptrs_.assign(1, nullptr);
}

Result<void> wrap_with_guard(const SandboxPolicy& policy, const std::vector<std::string>& writable_roots,
                             int status_fd, CommandArrays& args) {
  common::GuardCommandInput in;
  in.policy = &policy;
  in.writable_roots = writable_roots;
  in.status_fd = status_fd;
  in.status_stage_guard = static_cast<int>(ChildStage::guard);
  in.status_stage_exec = static_cast<int>(ChildStage::exec);
  for (std::size_t i = 0; i < args.exec_paths.size(); ++i) in.exec_paths.push_back(args.exec_paths.at(i));
  for (std::size_t i = 0; i < args.argv.size(); ++i) in.command.push_back(args.argv.at(i));
  auto guard = common::guard_command(in);
  if (!guard) return tl::unexpected(guard.error());
  args.argv.clear();
  for (auto& s : guard->argv) args.argv.push(std::move(s));
  args.exec_paths.clear();
  args.exec_paths.push(common::kGuardPathInSandbox);
  return {};
}

Result<void> build_command_arrays(const SandboxPolicy& policy, const Command& cmd, CommandArrays& out) {
  if (cmd.argv.empty() || cmd.argv.front().empty()) {
    return fail(ErrorCode::invalid_argument, "command is empty: argv[0] must name a program");
  }
  for (std::size_t i = 0; i < cmd.argv.size(); ++i) {
    if (has_nul(cmd.argv[i])) {
      return fail(ErrorCode::invalid_argument, "argv[" + std::to_string(i) + "] contains a NUL byte",
                  {{"index", std::to_string(i)}});
    }
    out.argv.push(cmd.argv[i]);
  }

  auto environment = sandbox_environment(policy, cmd.env);
  if (!environment) return tl::unexpected(environment.error());
  const auto& env = *environment;
  for (const auto& [name, value] : env) out.envp.push(name + "=" + value);

  const std::string& prog = cmd.argv.front();
  if (prog.find('/') != std::string::npos) {
    out.exec_paths.push(prog);
    return {};
  }
  const std::string& search = env.at("PATH");  // sandbox_environment always sets it
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = search.find(':', start);
    std::string dir = search.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    out.exec_paths.push(dir + "/" + prog);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

}  // namespace kavach::process
