// Finds external runtimes (crun, runc, runsc, ...) on PATH.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kavach::host {

// The runtimes doctor reports.
[[nodiscard]] const std::vector<std::string>& known_runtimes();
// name -> absolute path for those found on PATH (plus /usr/sbin, /sbin which PATH may lack).
[[nodiscard]] std::map<std::string, std::string> find_runtimes();
// Absolute path of one executable or empty.
[[nodiscard]] std::string which(const std::string& name);

}  // namespace kavach::host
