// The core's neutral SeccompProgram as the OCI runtime spec's `linux.seccomp` object. No
// syscall set is decided here: the program (build_seccomp_program) is translated verbatim.
#pragma once

#include <nlohmann/json.hpp>

#include "kavach/syscalls.hpp"

namespace kavach::oci {

// Every program becomes a profile (seccomp "none" still carries the host-safety rules).
// Foreign ABIs: only the native architecture is listed, so libseccomp's bad-architecture action
// (kill) answers i386 (int 0x80) and x32 calls — as the process backend's filter does.
// masked_eq conditions use OCI's convention: value = mask, valueTwo = expected value.
[[nodiscard]] nlohmann::json seccomp_to_oci(const SeccompProgram& program);

// runsc (20221219) applies OCI profiles with --oci-seccomp but ignores errnoRet: every
// SCMP_ACT_ERRNO answers EPERM. The one non-EPERM rule of kavach's programs is clone3 -> ENOSYS
// (so libc falls back to the argument-filtered clone); EPERM there breaks posix_spawn/system().
// gVisor's sentry implements no clone3 and answers ENOSYS itself, so for runsc the clone3
// rule becomes "allow" (reaching the sentry's ENOSYS). Any other ENOSYS rule stays an ERRNO
// rule (EPERM under runsc). `notes` receives what was changed.
[[nodiscard]] nlohmann::json seccomp_to_oci_for_gvisor(const SeccompProgram& program, std::string& notes);

// "SCMP_ACT_ERRNO", ... and the errno it returns (0 when none).
[[nodiscard]] const char* oci_action(SeccompAction a);
[[nodiscard]] unsigned oci_errno(SeccompAction a);

}  // namespace kavach::oci
