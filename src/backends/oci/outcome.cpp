#include "backends/oci/outcome.hpp"

#include <cerrno>
#include <csignal>

namespace kavach::oci {

bool is_exec_failure(const std::string& msg) {
  auto has = [&msg](const char* s) { return msg.find(s) != std::string::npos; };
  const bool missing = has("no such file or directory") || has("not found") || has("permission denied");
  return has("executable file not found") || has("executable file `") ||
         (missing && (has("exec") || has("failed to load") || has("creating process")));
}

void decode_outcome(ContainerOutcome&& out, const OutcomeInput& in, ExecResult& result,
                    std::map<std::string, std::string>& info) {
  const ContainerCgroupStats& c = in.cgroup;
  result.timed_out = out.timed_out;
  result.stopped_by_consumer = out.stopped_by_consumer;
  result.oom_killed = c.oom_kills > 0;
  result.pids_limit_hit = c.pids_max_events > 0;
  if (!out.started && is_exec_failure(out.runtime_error)) {
    result.exit_code = 127;
    result.setup_failure = SetupFailure{"exec", ENOENT, "cannot execute '" + in.program + "': " + out.runtime_error};
  } else if (result.timed_out) {
    result.signal = SIGKILL;
  } else if (out.status) {
    // Runtimes report a signal death as 128+N. Decoded only where the cause is known (the kernel
    // killed the tree for a limit); otherwise it stays the exit status a shell would show.
    if ((result.oom_killed || result.pids_limit_hit) && *out.status == 128 + SIGKILL) {
      result.signal = SIGKILL;
    } else {
      result.exit_code = *out.status;
    }
  } else {
    // gVisor: the sandbox died with its sentry (memory limit, pids limit) and has no status.
    result.signal = SIGKILL;
    info["sandbox"] = "died without an exit status: " + out.runtime_error;
  }
  if (in.kind == BackendKind::gvisor && result.pids_limit_hit) {
    info["sandbox"] = "the pids limit was reached by the sandbox as a whole: the sentry (which runs one host "
                      "thread per application thread on the ptrace platform) could not create a thread and "
                      "stopped the sandbox; the exit status is runsc's";
  }
  result.stdout_data = std::move(out.stdout_data);
  result.stderr_data = std::move(out.stderr_data);
  result.stdout_truncated = out.stdout_truncated;
  result.stderr_truncated = out.stderr_truncated;
  result.usage.memory_peak_bytes = c.memory_peak_bytes;
  result.usage.pids_peak = c.pids_peak;
  if (c.cpu_user_ms && c.cpu_sys_ms) {
    result.usage.user_cpu_ms = *c.cpu_user_ms;
    result.usage.sys_cpu_ms = *c.cpu_sys_ms;
    info["cpu_time"] = "from the container's cgroup";
  } else {
    result.usage.user_cpu_ms = out.user_cpu_ms;
    result.usage.sys_cpu_ms = out.sys_cpu_ms;
    info["cpu_time"] = "rusage of the runtime and everything it reaped (the sandbox included)";
  }
  if (c.memory_peak_bytes) result.usage.max_rss_kb = *c.memory_peak_bytes / 1024;
  if (in.tree_cpu_usec) info["cpu_time_tree_ms"] = std::to_string(*in.tree_cpu_usec / 1000);
  if (out.cpu_limit_hit) {
    result.cpu_limit_hit = true;  // the container was killed for it: reported as SIGKILL
    result.signal = SIGKILL;
    result.exit_code.reset();
  } else if (in.policy->limits.cpu_time_seconds && !result.timed_out) {
    const double limit_ms = static_cast<double>(*in.policy->limits.cpu_time_seconds) * 1e3;
    const int sig = result.signal.value_or(result.exit_code.value_or(0) > 128 ? *result.exit_code - 128 : 0);
    result.cpu_limit_hit = (sig == SIGXCPU || sig == SIGKILL) &&
                           result.usage.user_cpu_ms + result.usage.sys_cpu_ms >= limit_ms * 0.95;
  }
}

}  // namespace kavach::oci
