#include "backends/common/helper_binary.hpp"

#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace kavach::common {

Result<std::filesystem::path> find_helper_binary(const HelperBinary& h) {
  std::vector<std::string> tried;
  auto usable = [&tried](const char* p) {
    if (p == nullptr || *p == '\0') return false;
    tried.emplace_back(p);
    return ::access(p, X_OK) == 0;
  };
  if (const char* env = std::getenv(h.env); usable(env)) return std::filesystem::path(env);
  for (const char* p : {h.install_path, h.build_path}) {
    if (usable(p)) return std::filesystem::path(p);
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return fail(ErrorCode::runtime_missing,
              h.needed_for + ": the program " + h.program + " was not found (tried " + list + "); set $" + h.env +
                  " or install kavach",
              {{"control", h.needed_for}, {"program", h.program}});
}

}  // namespace kavach::common
