#include "version.hpp"

#include <seccomp.h>
#include <sys/utsname.h>

namespace kavach::cli {

std::string version_text() {
  std::string out = "kavach " KAVACH_VERSION;
  // The libseccomp loaded at run time, which may differ from the headers kavach was built with.
  if (const scmp_version* v = seccomp_version(); v != nullptr) {
    out += "\nlibseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  }
  utsname u{};
  if (::uname(&u) == 0) out += "\nkernel " + std::string(u.sysname) + " " + u.release + " " + u.machine;
  return out;
}

}  // namespace kavach::cli
