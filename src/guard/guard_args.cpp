#include "guard/guard_args.hpp"

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace kavach::guard {
namespace {

bool to_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::vector<std::string> to_argv(const GuardArgs& a) {
  std::vector<std::string> out;
  for (const auto& r : a.writable_roots) out.insert(out.end(), {"--root", r});
  for (const auto& p : a.protected_paths) out.insert(out.end(), {"--protect", p});
  out.insert(out.end(), {"--notify-bpf", a.notify_bpf_hex});
  if (a.status_fd >= 0) {
    out.insert(out.end(), {"--status-fd", std::to_string(a.status_fd), "--status-stages",
                           std::to_string(a.status_stage_guard) + "," +
                               std::to_string(a.status_stage_exec)});
  }
  for (const auto& e : a.exec_paths) out.insert(out.end(), {"--exec", e});
  out.emplace_back("--");
  out.insert(out.end(), a.argv.begin(), a.argv.end());
  return out;
}

bool parse_guard_args(int argc, const char* const* argv, GuardArgs& out, std::string& error) {
  int i = 1;
  auto value = [&](std::string_view flag, std::string& v) {
    if (i + 1 >= argc) {
      error = std::string(flag) + " needs a value";
      return false;
    }
    v = argv[++i];
    return true;
  };
  for (; i < argc; ++i) {
    const std::string_view a = argv[i];
    std::string v;
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--root" || a == "--protect" || a == "--exec") {
      if (!value(a, v)) return false;
      if (v.empty()) {
        error = std::string(a) + " needs a non-empty value";
        return false;
      }
      auto& list = a == "--root" ? out.writable_roots : a == "--protect" ? out.protected_paths : out.exec_paths;
      list.push_back(v);
    } else if (a == "--notify-bpf") {
      if (!value(a, out.notify_bpf_hex)) return false;
    } else if (a == "--status-fd") {
      if (!value(a, v) || !to_int(v, out.status_fd)) {
        error = "--status-fd needs a descriptor number";
        return false;
      }
    } else if (a == "--status-stages") {
      if (!value(a, v)) return false;
      const auto comma = v.find(',');
      if (comma == std::string::npos || !to_int(std::string_view(v).substr(0, comma), out.status_stage_guard) ||
          !to_int(std::string_view(v).substr(comma + 1), out.status_stage_exec)) {
        error = "--status-stages needs GUARD,EXEC stage numbers";
        return false;
      }
    } else {
      error = "unknown argument '" + std::string(a) + "'";
      return false;
    }
  }
  for (; i < argc; ++i) out.argv.emplace_back(argv[i]);
  if (out.argv.empty()) {
    error = "no command after --";
    return false;
  }
  if (out.notify_bpf_hex.empty() || out.notify_bpf_hex.size() % 16 != 0) {
    error = "--notify-bpf needs a filter (16 hex digits per instruction)";
    return false;
  }
  for (const auto& r : out.writable_roots) {
    if (r.front() != '/') {
      error = "--root '" + r + "' is not absolute";
      return false;
    }
  }
  return true;
}

}  // namespace kavach::guard
