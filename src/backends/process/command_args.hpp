// argv, envp and the execve candidates for argv[0], built in the parent as NULL-terminated
// C arrays the child passes to execve unchanged.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "kavach/backend.hpp"
#include "kavach/error.hpp"
#include "kavach/policy.hpp"

namespace kavach::process {

class CStringArray {
 public:
  void push(std::string s);
  void clear();
  [[nodiscard]] char* const* data() const { return ptrs_.data(); }
  [[nodiscard]] std::size_t size() const { return strings_.size(); }
  [[nodiscard]] const std::string& at(std::size_t i) const { return strings_.at(i); }
  CStringArray() { ptrs_.push_back(nullptr); }
  CStringArray(const CStringArray&) = delete;
  CStringArray& operator=(const CStringArray&) = delete;

 private:
  std::deque<std::string> strings_;
  std::vector<char*> ptrs_;
};

struct CommandArrays {
  CStringArray argv;
  CStringArray envp;
  CStringArray exec_paths;
};

// The environment is EMPTY except the policy's allow-listed host variables and cmd.env (which
// wins on a name clash). argv[0] without '/' is searched in the sandbox's PATH (or the default
// system path when the environment has none).
[[nodiscard]] Result<void> build_command_arrays(const SandboxPolicy& policy, const Command& cmd,
                                                CommandArrays& out);

// The command behind kavach-guard (protected paths): argv becomes the guard's, carrying the
// command and its exec candidates; the one exec candidate is the guard inside the sandbox.
// status_fd: the child's status pipe (the guard reports its own and the exec's failures there).
[[nodiscard]] Result<void> wrap_with_guard(const SandboxPolicy& policy,
                                           const std::vector<std::string>& writable_roots,
                                           int status_fd, CommandArrays& args);

}  // namespace kavach::process
