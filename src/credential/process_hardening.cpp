// Process-wide core-dump and ptrace exclusion for a process that holds secrets.
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "kavach/credential.hpp"

namespace kavach {

Result<void> harden_process_for_secrets() {
  const rlimit none{0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return fail(ErrorCode::secret_error, std::string("cannot set RLIMIT_CORE to 0: ") + std::strerror(errno),
                {{"reason", std::string(kReasonHardening)}});
  }
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return fail(ErrorCode::secret_error, std::string("cannot clear PR_SET_DUMPABLE: ") + std::strerror(errno),
                {{"reason", std::string(kReasonHardening)}});
  }
  return {};
}

}  // namespace kavach
