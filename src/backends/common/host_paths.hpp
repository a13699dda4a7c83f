// The policy's read-only and writable host paths as the sandbox shows them, resolved once for
// every backend (it reads host state, so it lives here and not in core): each entry checked
// (absolute, present, not a refused path), symbolic links decided, duplicates dropped, a path
// listed both read-only and writable refused.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "kavach/error.hpp"

namespace kavach::common {

struct HostPath {
  std::filesystem::path target;  // where the sandbox sees it
  std::filesystem::path source;  // the canonical host path
  bool writable = false;
  bool is_dir = true;
  // A listed symbolic link whose target the sandbox shows too: `target` becomes the same link
  // (`link_text`). Otherwise a listed link is bound from its target; one inside another bound
  // entry is left out (the host's own link shows through that bind). A writable path given
  // through a link is bound at its real path, plus the link.
  bool symlink = false;
  std::string link_text;
};

// In target order (parents before children).
[[nodiscard]] Result<std::vector<HostPath>> resolve_host_paths(const std::vector<std::filesystem::path>& readonly,
                                                               const std::vector<std::filesystem::path>& writable);

}  // namespace kavach::common
