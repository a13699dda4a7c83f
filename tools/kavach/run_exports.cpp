#include "run_exports.hpp"

#include <cstdio>

#include "exit_codes.hpp"
#include "quarantine.hpp"

namespace kavach::cli {
namespace {

namespace fs = std::filesystem;

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
      // A reviewer's copy, in the quarantine store like quarantined output.
      auto root = quarantine_root(quarantine_flag);
      auto q = root ? quarantine_file(*root, sandbox.id(), "export-" + spec.path.filename().string(), file->content)
                    : Result<fs::path>(tl::unexpected(root.error()));
      if (q) o.written_to = *q;
      else wrote = tl::unexpected(q.error());
    } else if (file->release != OutputRelease::withheld) {
      o.written_to = spec.dest;
      wrote = write_file(spec.dest, file->content, 0644, true);
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
