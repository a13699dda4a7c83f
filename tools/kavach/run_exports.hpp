// `kavach run --export PATH[:DEST]`: files the command wrote, out through the gate after the run
// (Sandbox::export_file): released copies to DEST, quarantined ones to the quarantine store,
// blocked ones nowhere.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kavach/sandbox.hpp"

namespace kavach::cli {

struct ExportSpec {
  std::filesystem::path path;  // inside the sandbox (relative: to its working directory)
  std::filesystem::path dest;  // on the host (default: the file's name in the current directory)
};

// Checked before anything runs: a typo must not run the command first.
[[nodiscard]] Result<std::vector<ExportSpec>> parse_export_specs(const std::vector<std::string>& specs);

struct ExportOutcome {
  ExportSpec spec;
  std::optional<ExportedFile> file;  // absent when it failed (error)
  std::optional<Error> error;
  std::optional<std::filesystem::path> written_to;  // DEST, or the quarantine file
};

[[nodiscard]] std::vector<ExportOutcome> run_exports(Sandbox& sandbox, const std::vector<ExportSpec>& specs,
                                                     const std::optional<std::filesystem::path>& quarantine_flag);
[[nodiscard]] nlohmann::json to_json(const std::vector<ExportOutcome>& outcomes);
void print_exports(const std::vector<ExportOutcome>& outcomes);
// The status the exports impose (0: none): block 87, an export error its code, quarantine 88.
[[nodiscard]] int exports_status(const std::vector<ExportOutcome>& outcomes);

}  // namespace kavach::cli
