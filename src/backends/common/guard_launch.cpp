#include "backends/common/guard_launch.hpp"

#include <unistd.h>

#include <cstdlib>

#include "backends/common/helper_binary.hpp"
#include "backends/common/seccomp_bpf.hpp"
#include "guard/guard_args.hpp"
#include "kavach/syscalls.hpp"

namespace kavach::common {

Result<std::filesystem::path> find_guard_binary() {
  return find_helper_binary({"kavach-guard", "KAVACH_GUARD", KAVACH_GUARD_INSTALL_PATH, KAVACH_GUARD_BUILD_PATH,
                             "protected_paths"});
}

Result<GuardCommand> guard_command(const GuardCommandInput& in) {
  auto bpf = compile_seccomp_bpf(guard_trap_program());
  if (!bpf) return tl::unexpected(bpf.error());
  guard::GuardArgs a;
  a.writable_roots = in.writable_roots;
  for (const auto& p : in.policy->fs.protected_paths) a.protected_paths.push_back(p.lexically_normal().string());
  a.notify_bpf_hex = bpf_to_hex(*bpf);
  a.status_fd = in.status_fd;
  a.status_stage_guard = in.status_stage_guard;
  a.status_stage_exec = in.status_stage_exec;
  a.exec_paths = in.exec_paths;
  a.argv = in.command;
  GuardCommand out;
  out.argv.emplace_back("kavach-guard");
  for (auto& s : guard::to_argv(a)) out.argv.push_back(std::move(s));
  out.detail = std::to_string(a.protected_paths.size()) + " protected paths (at every depth) below " +
               std::to_string(a.writable_roots.size()) +
               " writable paths, enforced by kavach-guard: creating, renaming onto, linking, "
               "chmod-ing or writing them is refused (EACCES); nothing is created on the host";
  return out;
}

std::string guard_detail(bool seccomp_notify, const std::string& kernel_release, const std::string& blocker) {
  if (!blocker.empty()) return blocker;
  if (!seccomp_notify) {
    return "needs seccomp user notification with descriptor hand-over (kernel 5.14), kernel is " + kernel_release;
  }
  return "kavach-guard (seccomp user notification)";
}

}  // namespace kavach::common
