// `kavach --version`.
#pragma once

#include <string>

namespace kavach::cli {

// "kavach 0.1.0" and, on further lines, the libseccomp it runs with and the kernel release.
std::string version_text();

}  // namespace kavach::cli
