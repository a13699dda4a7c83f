#include "backends/oci/seccomp_json.hpp"

#include <cerrno>
#include <map>
#include <string>
#include <vector>

namespace kavach::oci {
namespace {

#if defined(__x86_64__)
constexpr const char* kNativeArch = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
constexpr const char* kNativeArch = "SCMP_ARCH_AARCH64";
#else
#error "kavach's OCI seccomp translation knows x86_64 and aarch64"
#endif

const char* oci_op(ArgOp op) {
  switch (op) {
    case ArgOp::eq: return "SCMP_CMP_EQ";
    case ArgOp::ne: return "SCMP_CMP_NE";
    case ArgOp::masked_eq: return "SCMP_CMP_MASKED_EQ";
  }
  return "SCMP_CMP_EQ";
}

nlohmann::json arg_json(const ArgCond& c) {
  nlohmann::json a = {{"index", c.index}, {"op", oci_op(c.op)}};
  if (c.op == ArgOp::masked_eq) {
    a["value"] = c.mask;
    a["valueTwo"] = c.value;
  } else {
    a["value"] = c.value;
    a["valueTwo"] = 0;
  }
  return a;
}

void put_action(nlohmann::json& entry, SeccompAction a, const char* action_key, const char* errno_key) {
  entry[action_key] = oci_action(a);
  if (const unsigned e = oci_errno(a); e != 0) entry[errno_key] = e;
}

}  // namespace

const char* oci_action(SeccompAction a) {
  switch (a) {
    case SeccompAction::allow: return "SCMP_ACT_ALLOW";
    case SeccompAction::errno_eperm: return "SCMP_ACT_ERRNO";
    case SeccompAction::errno_enosys: return "SCMP_ACT_ERRNO";
    case SeccompAction::kill_process: return "SCMP_ACT_KILL_PROCESS";
    case SeccompAction::notify: return "SCMP_ACT_NOTIFY";
  }
  return "SCMP_ACT_KILL_PROCESS";
}

unsigned oci_errno(SeccompAction a) {
  switch (a) {
    case SeccompAction::errno_eperm: return EPERM;
    case SeccompAction::errno_enosys: return ENOSYS;
    default: return 0;
  }
}

nlohmann::json seccomp_to_oci(const SeccompProgram& program) {
  nlohmann::json s = nlohmann::json::object();
  put_action(s, program.default_action, "defaultAction", "defaultErrnoRet");
  s["architectures"] = nlohmann::json::array({kNativeArch});

  // Unconditional rules sharing an action become one entry (in first-seen order); each
  // conditional rule is its own entry, since OCI ANDs the args of one entry.
  nlohmann::json syscalls = nlohmann::json::array();
  std::map<SeccompAction, std::size_t> plain_entry;
  for (const SyscallRule& r : program.rules) {
    if (r.conds.empty()) {
      auto it = plain_entry.find(r.action);
      if (it == plain_entry.end()) {
        nlohmann::json e = {{"names", nlohmann::json::array()}};
        put_action(e, r.action, "action", "errnoRet");
        syscalls.push_back(std::move(e));
        it = plain_entry.emplace(r.action, syscalls.size() - 1).first;
      }
      syscalls[it->second]["names"].push_back(r.name);
      continue;
    }
    nlohmann::json e = {{"names", nlohmann::json::array({r.name})}};
    put_action(e, r.action, "action", "errnoRet");
    nlohmann::json args = nlohmann::json::array();
    for (const ArgCond& c : r.conds) args.push_back(arg_json(c));
    e["args"] = std::move(args);
    syscalls.push_back(std::move(e));
  }
  s["syscalls"] = std::move(syscalls);
  return s;
}

nlohmann::json seccomp_to_oci_for_gvisor(const SeccompProgram& program, std::string& notes) {
  SeccompProgram adapted = program;
  for (SyscallRule& r : adapted.rules) {
    if (r.action != SeccompAction::errno_enosys || r.name != "clone3" || !r.conds.empty()) continue;
    if (adapted.default_action == SeccompAction::allow) {
      r.name.clear();  // removed below: a rule may not repeat the default action
    } else {
      r.action = SeccompAction::allow;
    }
    notes = "clone3 passed to the sentry, which answers ENOSYS itself (runsc ignores errnoRet)";
  }
  std::erase_if(adapted.rules, [](const SyscallRule& r) { return r.name.empty(); });
  return seccomp_to_oci(adapted);
}

}  // namespace kavach::oci
