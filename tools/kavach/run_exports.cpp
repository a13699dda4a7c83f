#include "run_exports.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "exit_codes.hpp"
#include "quarantine.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;

// 0600 for quarantine (a reviewer's copy), 0644 for released copies; never through a link.
Result<void> write_file(const fs::path& to, const std::string& content, mode_t mode) {
  const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail(ErrorCode::io_error, "export: cannot write " + to.string() + ": " + std::strerror(errno),
                {{"path", to.string()}});
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return fail(ErrorCode::io_error, "export: writing " + to.string() + ": " + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) return fail(ErrorCode::io_error, "export: closing " + to.string() + ": " + std::strerror(errno));
  return {};
}

}  // namespace

Result<std::vector<ExportSpec>> parse_export_specs(const std::vector<std::string>& specs) {
  std::vector<ExportSpec> out;
  for (const auto& s : specs) {
    const auto colon = s.rfind(':');
    ExportSpec e{s.substr(0, colon), colon == std::string::npos ? std::string() : s.substr(colon + 1)};
    if (e.path.empty() || e.path.filename().empty() || (colon != std::string::npos && e.dest.empty())) {
      return fail(ErrorCode::invalid_argument, "--export takes PATH or PATH:DEST with a file's path, got '" + s + "'",
                  {{"flag", "--export"}, {"value", s}});
    }
    if (e.dest.empty()) e.dest = e.path.filename();
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ExportOutcome> run_exports(Sandbox& sandbox, const std::vector<ExportSpec>& specs,
                                       const std::optional<fs::path>& quarantine_flag) {
  std::vector<ExportOutcome> out;
  for (const auto& spec : specs) {
    ExportOutcome o{spec, {}, {}, {}};
    auto file = sandbox.export_file(spec.path);
    if (!file) {
      o.error = file.error();
      out.push_back(std::move(o));
      continue;
    }
    Result<void> wrote;
    if (file->release == OutputRelease::quarantined) {
      auto root = quarantine_root(quarantine_flag);
      if (root) {
        const fs::path dir = *root / sandbox.id();
        std::error_code ec;
        fs::create_directories(dir, ec);
        fs::permissions(dir, fs::perms::owner_all, ec);
        o.written_to = dir / ("export-" + spec.path.filename().string());
        wrote = write_file(*o.written_to, file->content, 0600);
      } else {
        wrote = tl::unexpected(root.error());
      }
    } else if (file->release != OutputRelease::withheld) {
      o.written_to = spec.dest;
      wrote = write_file(spec.dest, file->content, 0644);
    }
    if (!wrote) {
      o.error = wrote.error();
      o.written_to.reset();
    }
    o.file = std::move(*file);
    out.push_back(std::move(o));
  }
  return out;
}

nlohmann::json to_json(const std::vector<ExportOutcome>& outcomes) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& o : outcomes) {
    nlohmann::json j{{"path", o.spec.path.string()}, {"dest", o.spec.dest.string()}};
    if (o.file) {
      j["bytes"] = o.file->bytes;
      j["release"] = std::string(to_string(o.file->release));
      j["verdict"] = o.file->gate ? std::string(gate::to_string(o.file->gate->verdict)) : "disabled";
      j["findings"] = o.file->gate ? o.file->gate->findings.size() : 0;
    }
    if (o.written_to) j["written_to"] = o.written_to->string();
    if (o.error) j["error"] = {{"code", std::string(to_string(o.error->code))}, {"message", o.error->message}};
    a.push_back(std::move(j));
  }
  return a;
}

void print_exports(const std::vector<ExportOutcome>& outcomes) {
  for (const auto& o : outcomes) {
    if (o.error) {
      std::fprintf(stderr, "kavach: export %s failed: %s\n", o.spec.path.c_str(), o.error->message.c_str());
    } else if (o.file->release == OutputRelease::withheld) {
      std::fprintf(stderr, "kavach: export %s withheld: the gate's verdict is block\n", o.spec.path.c_str());
    } else if (o.file->release == OutputRelease::quarantined) {
      std::fprintf(stderr, "kavach: export %s quarantined (redacted) in %s\n", o.spec.path.c_str(), o.written_to->c_str());
    } else {
      std::fprintf(stderr, "kavach: exported %s -> %s (%llu bytes, gate %s)\n", o.spec.path.c_str(),
                   o.written_to->c_str(), static_cast<unsigned long long>(o.file->bytes),
                   o.file->gate ? std::string(gate::to_string(o.file->gate->verdict)).c_str() : "off");
    }
  }
}

int exports_status(const std::vector<ExportOutcome>& outcomes) {
  int status = 0;
  for (const auto& o : outcomes) {
    if (o.file && o.file->release == OutputRelease::withheld) return cli_exit_code(ErrorCode::output_blocked);
  }
  for (const auto& o : outcomes) {
    if (o.error) return cli_exit_code(o.error->code);
  }
  for (const auto& o : outcomes) {
    if (o.file && o.file->release == OutputRelease::quarantined) status = cli_exit_code(ErrorCode::output_quarantined);
  }
  return status;
}

}  // namespace kavach::cli
